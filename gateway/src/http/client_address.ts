import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Who sent a request, for everything keyed on the client: the per-address rate budgets (REST,
 * tRPC, operator routes), the WebSocket per-address connection slots and the access log. Without
 * TRUSTED_PROXIES it is the TCP peer. Behind a load balancer every client would be the balancer,
 * so when the peer is a trusted proxy the client is the rightmost X-Forwarded-For hop that is not
 * itself trusted: each proxy appends the address it saw, so hops left of the first untrusted one
 * (reading from the right) were written by the client and prove nothing.
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
 * The client's address: the TCP peer, unless the peer is a trusted proxy; then the rightmost
 * X-Forwarded-For hop that is not a trusted proxy (the farthest hop when all are). A header that is
 * missing, empty, or has a hop that is not a bare IP address before that one is reached tells
 * nothing reliable: the answer is then the peer, as without TRUSTED_PROXIES.
 */
export function clientAddress(req: IncomingMessage, trusted: TrustedProxies): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (!trusted.has(peer)) return peer;
  // Node joins repeated X-Forwarded-For lines with ', ', in the order they came.
  const header = req.headers['x-forwarded-for'];
  const forwarded = Array.isArray(header) ? header.join(',') : header;
  if (!forwarded) return peer;
  const hops = forwarded.split(',');
  let farthest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped((hops[i] as string).trim());
    if (familyOf(hop) === undefined) return peer;
    if (!trusted.has(hop)) return hop;
    farthest = hop;
  }
  return farthest;
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
 * trusted proxy, the X-Forwarded-Host the proxy saw. Undefined when neither says one.
 */
export function requestHost(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  const viaProxy = trusted.has(req.socket.remoteAddress ?? '');
  return (viaProxy ? firstValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
}

/**
 * The origin a browser page served by this gateway has (`http://host:port`): the request's Host and
 * scheme, or, from a trusted proxy, the X-Forwarded-Host and X-Forwarded-Proto it saw. Undefined
 * when the request says no usable host.
 */
export function ownOrigin(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  const viaProxy = trusted.has(req.socket.remoteAddress ?? '');
  const host = requestHost(req, trusted);
  const proto = viaProxy ? firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
  const scheme = proto === 'https' || proto === 'http' ? proto : 'encrypted' in req.socket ? 'https' : 'http';
  if (!host || !HOST.test(host)) return undefined;
  return URL.parse(`${scheme}://${host}`)?.origin;
}
