import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Who sent a request, for everything keyed on the client: the per-address rate budgets (REST,
 * tRPC, operator routes), the WebSocket per-address connection slots and the access log. Without
 * TRUSTED_PROXIES it is the TCP peer. Behind a load balancer every client would be the balancer,
 * so when the peer is a trusted proxy the client is the rightmost hop that is not itself trusted:
 * each proxy appends the address it saw, so hops left of the first untrusted one (reading from the
 * right) were written by the client and prove nothing. The hops are the `for=` of RFC 7239's
 * `Forwarded` elements when the trusted peer sends that header, else X-Forwarded-For's.
 *
 * Which header wins: a trusted peer's `Forwarded` (the standard), when present, is read alone, for
 * the client, its host and its scheme; X-Forwarded-For/-Proto/-Host are then ignored (a proxy that
 * sends both should make them agree). One header is the whole story, so the host and scheme always
 * come from the same proxy's element as the address.
 */

type Family = 'ipv4' | 'ipv6';

/** `::ffff:a.b.c.d` (an IPv4 peer on a dual-stack socket) is the IPv4 address it carries. */
function unmapped(address: string): string {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
}

/** The family of a bare IP address; undefined for anything else (ports, zones, names, spaces). */
function familyOf(address: string): Family | undefined {
  if (isIPv4(address)) return 'ipv4';
  // A zone (`fe80::1%eth0`) names an interface of the sender's machine, not an address of ours.
  return isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
}

/** One TRUSTED_PROXIES entry (an IP address or a CIDR block); undefined when it is neither. */
export function parseProxyEntry(entry: string): { address: string; prefix: number; family: Family } | undefined {
  const [ip = '', bits, extra] = entry.split('/');
  if (extra !== undefined) return undefined;
  const address = bits === undefined ? unmapped(ip) : ip;
  const family = familyOf(address);
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  if (bits === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { address, prefix: Number(bits), family };
}

/** The entries of a TRUSTED_PROXIES list that are not an IP address or a CIDR block. */
export function invalidProxyEntries(entries: readonly string[]): string[] {
  return entries.filter((entry) => parseProxyEntry(entry) === undefined);
}

/** TRUSTED_PROXIES as a set of addresses and blocks. */
export class TrustedProxies {
  private readonly blocks = new BlockList();
  readonly none: boolean;

  /** Throws on an entry that is not an IP address or CIDR block (the config refuses those first). */
  constructor(entries: readonly string[] = []) {
    for (const entry of entries) {
      const parsed = parseProxyEntry(entry);
      if (!parsed) throw new Error(`TRUSTED_PROXIES: '${entry}' is not an IP address or a CIDR block`);
      this.blocks.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
    this.none = entries.length === 0;
  }

  /** Whether `address` (a socket's or a header's, IPv4-mapped or not) is a trusted proxy. */
  has(address: string): boolean {
    if (this.none) return false;
    const ip = unmapped(address);
    const family = familyOf(ip);
    return family !== undefined && this.blocks.check(ip, family);
  }
}

/** No proxy is trusted: the client is the TCP peer (the default). */
export const NO_TRUSTED_PROXIES = new TrustedProxies();

/**
 * Where the trust walk stopped: `index` of the hop it chose (-1 for no hops), and that hop's address,
 * undefined when the hop is not a bare IP address (the answer is then the peer).
 */
interface Walk {
  index: number;
  address: string | undefined;
}

/**
 * The rightmost hop that is not a trusted proxy (the farthest hop when all are). A hop that is not
 * a bare IP address (undefined) before that one is reached tells nothing reliable: the walk stops
 * there without an address. Hops left of where it stops were written by the client: never read.
 */
function walk(hops: readonly (string | undefined)[], trusted: TrustedProxies): Walk {
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop === undefined || !trusted.has(hop)) return { index: i, address: hop };
  }
  return { index: hops.length > 0 ? 0 : -1, address: hops[0] };
}

/** One RFC 7239 element's parameters (names lower-cased, quoted strings unquoted); undefined when it does not parse. */
type ForwardedElement = Map<string, string> | undefined;

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/**
 * Splits `text` on `separator` outside quoted strings (a backslash escapes the next character in
 * one); undefined when a quoted string is left open, which makes every later boundary unknowable.
 */
function splitOutsideQuotes(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted) return undefined;
  parts.push(text.slice(start));
  return parts;
}

/** `token` or `"quoted-string"` unquoted; undefined for anything else. */
function parameterValue(raw: string): string | undefined {
  if (TOKEN.test(raw)) return raw;
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return undefined;
  const inner = raw.slice(1, -1);
  // Splitting already balanced the quotes; an unescaped one inside would be a second string.
  if (/(^|[^\\])(\\\\)*"/.test(inner)) return undefined;
  return inner.replace(/\\(.)/g, '$1');
}

function parseElement(text: string): ForwardedElement {
  const pairs = splitOutsideQuotes(text, ';') ?? [];
  const element = new Map<string, string>();
  for (const pair of pairs) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = trimmed.slice(0, eq).trim().toLowerCase();
    const value = parameterValue(trimmed.slice(eq + 1).trim());
    // Each parameter at most once per element (RFC 7239 section 4): two `for`s are no answer.
    if (eq < 1 || !TOKEN.test(name) || value === undefined || element.has(name)) return undefined;
    element.set(name, value);
  }
  return element;
}

/** A Forwarded header's elements, first (farthest) to last (the peer's own); empty ones skipped. */
function forwardedElements(header: string): ForwardedElement[] {
  const elements = splitOutsideQuotes(header, ',');
  // An open quote hides where the trusted proxies' elements start: nothing in it is reliable.
  if (elements === undefined) return [undefined];
  return elements.filter((element) => element.trim() !== '').map(parseElement);
}

/**
 * The address of a `for=` node (RFC 7239 section 6): an IPv4 address or a bracketed IPv6 one, each
 * with an optional port. `unknown`, obfuscated identifiers (`_hidden`), a missing `for` and
 * anything else are not an address.
 */
function nodeAddress(node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(?:\d{1,5}|_[a-z0-9._-]+))?$/i.exec(node);
  const ip = match?.[1] ?? match?.[2];
  if (ip === undefined) return undefined;
  const family = familyOf(ip);
  // IPv6 only in brackets (its colons would read as a port), IPv4 never in them.
  if (family === undefined || (family === 'ipv6') !== (match?.[1] !== undefined)) return undefined;
  return unmapped(ip);
}

/** What a trusted peer says of the request it forwarded; undefined when the peer is not trusted. */
interface ProxyView {
  walk: Walk;
  /** The element the walk stopped at, when the peer sent `Forwarded`: its host and proto describe the client's request. */
  element?: ForwardedElement;
}

function headerText(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header.join(',') : header;
}

/**
 * What the client address is read from: the TCP peer and the headers it sent. An HTTP request is
 * one; a gRPC call is another (its peer, and its `forwarded` / `x-forwarded-for` metadata, which
 * HTTP/2 proxies such as Envoy append as they do for HTTP/1).
 */
export interface ForwardedRequest {
  socket: { remoteAddress?: string };
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

function proxyView(req: ForwardedRequest, trusted: TrustedProxies): ProxyView | undefined {
  if (!trusted.has(req.socket.remoteAddress ?? '')) return undefined;
  // Node joins repeated header lines with ', ', in the order they came.
  const forwarded = headerText(req.headers.forwarded);
  if (forwarded !== undefined && forwarded.trim() !== '') {
    const elements = forwardedElements(forwarded);
    const stop = walk(
      elements.map((element) => nodeAddress(element?.get('for'))),
      trusted,
    );
    return { walk: stop, element: elements[stop.index] };
  }
  const xff = headerText(req.headers['x-forwarded-for']);
  if (!xff) return { walk: { index: -1, address: undefined } };
  const hops = xff.split(',').map((hop) => {
    const address = unmapped(hop.trim());
    return familyOf(address) === undefined ? undefined : address;
  });
  return { walk: walk(hops, trusted) };
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy; then the rightmost hop of
 * its `Forwarded` (or, without one, X-Forwarded-For) that is not a trusted proxy (the farthest hop
 * when all are). A header that is missing, empty, or has a hop that is not a bare IP address
 * (`for=unknown`, an obfuscated `_id`, junk) before that one is reached tells nothing reliable: the
 * answer is then the peer, as without TRUSTED_PROXIES.
 */
export function clientAddress(req: ForwardedRequest, trusted: TrustedProxies): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  return proxyView(req, trusted)?.walk.address ?? peer;
}

/** The first value of a header a proxy may have sent as a comma-separated list. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim() || undefined;
}

/** What a Host header may hold: a name or address and a port, nothing a URL would read as more. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/** The name (or IP literal, IPv6 in brackets) of a Host value without its port; undefined when it is not a usable host. */
export function hostName(host: string): string | undefined {
  return HOST.exec(host)?.[1];
}

/**
 * The host a request was sent to, as the client wrote it (`name:port`): its Host header, or, from a
 * trusted proxy, the `host=` of its Forwarded element for the client (or its X-Forwarded-Host) the
 * proxy saw. Undefined when none says one.
 */
export function requestHost(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  return proxied(req, trusted, 'host', 'x-forwarded-host') ?? req.headers.host;
}

/** A trusted proxy's word on `parameter`: from its Forwarded element when it sent Forwarded, else from its X-Forwarded-* header. */
function proxied(req: IncomingMessage, trusted: TrustedProxies, parameter: 'host' | 'proto', legacy: string): string | undefined {
  const view = proxyView(req, trusted);
  if (view === undefined) return undefined;
  if ('element' in view) return view.element?.get(parameter)?.trim() || undefined;
  return firstValue(req.headers[legacy]);
}

/**
 * The origin a browser page served by this gateway has (`http://host:port`): the request's Host and
 * scheme, or, from a trusted proxy, the host and proto it saw (Forwarded's, else X-Forwarded-Host and
 * X-Forwarded-Proto). Undefined when the request says no usable host.
 */
export function ownOrigin(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  const host = requestHost(req, trusted);
  const proto = proxied(req, trusted, 'proto', 'x-forwarded-proto')?.toLowerCase();
  const scheme = proto === 'https' || proto === 'http' ? proto : 'encrypted' in req.socket ? 'https' : 'http';
  if (!host || !HOST.test(host)) return undefined;
  return URL.parse(`${scheme}://${host}`)?.origin;
}
