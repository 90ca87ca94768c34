import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { hostNotAllowed, type ApiError } from '../errors';
import { hostName, requestHost, type TrustedProxies } from './client_address';

/**
 * GATEWAY_ALLOWED_HOSTS, against DNS rebinding: a page on a name of the attacker's that resolves to
 * this gateway (127.0.0.1 on a developer's machine) is same-origin with it in the browser's eyes, so
 * every same-origin check (the WebSocket doors' own origin, REST without CORS) would let it read.
 * The one thing such a request cannot hide is that name, in Host: the gateway answers only for names
 * it was told, before any route. IP literals and `localhost` / `*.localhost` (RFC 6761: always
 * loopback) are always answered: no rebinding name is one of them, and load-balancer and
 * orchestrator probes address instances by IP. Unset, only those are answered in every profile, as
 * Django's ALLOWED_HOSTS: a production gateway reached by name that answered any host would be open to
 * rebinding until an operator thought of it.
 */

/** A name (`api.example.com`), a suffix (`.example.com` or `*.example.com`: the name and every name under it), or `*`. */
const NAME = /^(\*\.|\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The entries of a GATEWAY_ALLOWED_HOSTS list that are neither a host name, a suffix nor `*`. */
export function invalidHostEntries(entries: readonly string[]): string[] {
  return entries.filter((entry) => entry !== '*' && !NAME.test(entry));
}

/** A host name as DNS compares it: lower case, without the root's trailing dot. */
function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isIpLiteral(name: string): boolean {
  return isIPv4(name) || (name.startsWith('[') && name.endsWith(']') && isIPv6(name.slice(1, -1)));
}

export class AllowedHosts {
  /** Every host is answered: `*`. */
  readonly any: boolean;
  /** Nothing was named: only IP literals and loopback names are answered. */
  readonly unset: boolean;
  private readonly names = new Set<string>(['localhost']);
  /** `.example.com` for `.example.com` and `*.example.com` entries (and `.localhost`, always). */
  private readonly suffixes: string[] = ['.localhost'];

  /**
   * `entries`: GATEWAY_ALLOWED_HOSTS (checked by the config first; an invalid entry throws here).
   * Empty: loopback names and IP literals only.
   */
  constructor(entries: readonly string[]) {
    const invalid = invalidHostEntries(entries);
    if (invalid.length > 0) throw new Error(`GATEWAY_ALLOWED_HOSTS: '${invalid.join("', '")}' is not a host name, a suffix or *`);
    this.any = entries.includes('*');
    this.unset = entries.length === 0;
    for (const entry of entries) {
      if (entry.startsWith('*.')) this.suffixes.push(canonical(entry.slice(1)));
      else if (entry.startsWith('.')) this.suffixes.push(canonical(entry));
      else this.names.add(canonical(entry));
    }
  }

  /** Whether a request for `host` (a Host header's value: a name or IP literal and an optional port) is answered. */
  allows(host: string): boolean {
    if (this.any) return true;
    const name = hostName(host);
    if (name === undefined) return false;
    if (isIpLiteral(name)) return true;
    const wanted = canonical(name);
    if (this.names.has(wanted)) return true;
    // A suffix entry `.example.com` covers example.com itself, as webpack-dev-server's does.
    return this.suffixes.some((suffix) => wanted.endsWith(suffix) || wanted === suffix.slice(1));
  }

  /**
   * The refusal of a request whose host (its Host, or a trusted proxy's Forwarded host= or X-Forwarded-Host) is not
   * answered; undefined when it is. A request without one (HTTP/1.0: Node refuses it on 1.1) names no
   * host to rebind and no browser sends it, so it passes.
   */
  refusal(req: IncomingMessage, trusted: TrustedProxies): ApiError | undefined {
    if (this.any) return undefined;
    const host = requestHost(req, trusted);
    if (host === undefined || this.allows(host)) return undefined;
    const name = hostName(host);
    return hostNotAllowed(name === undefined ? undefined : canonical(name));
  }
}
