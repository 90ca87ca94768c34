import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad and a zone id allowed), or null. */
export function ipv6Groups(address: string): number[] | null {
  const bare = address.replace(/%.*$/, '');
  if (!isIPv6(bare)) return null;
  let text = bare;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left.length === 8 ? left : null;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const quadOf = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 addresses an IPv6 address carries, by the transition mechanisms that route to them:
 * IPv4-compatible ::a.b.c.d, IPv4-mapped ::ffff:a.b.c.d, IPv4-translated ::ffff:0:a.b.c.d,
 * 6to4 2002:AABB:CCDD::/48, NAT64 64:ff9b::/96 and local-use 64:ff9b:1::/48 (the /96 form),
 * and Teredo 2001::/32 (server in bits 32-63, client inverted in the last 32 bits). An address
 * that reaches an IPv4 host must be judged as that host, or ::127.0.0.1 is a way to loopback.
 */
export function embeddedIPv4(address: string): string[] {
  if (isIPv4(address)) return [];
  const g = ipv6Groups(address);
  if (g === null) return [];
  const last = quadOf(g[6]!, g[7]!);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::/ and ::1 are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
  const compatible = g[4] === 0 && g[5] === 0 && g[6] !== 0;
  if (zeros(0, 4) && (compatible || (g[4] === 0 && g[5] === 0xffff) || (g[4] === 0xffff && g[5] === 0))) return [last];
  if (g[0] === 0x2002) return [quadOf(g[1]!, g[2]!)];
  if (g[0] === 0x64 && g[1] === 0xff9b && (zeros(2, 6) || g[2] === 1)) return [last];
  if (g[0] === 0x2001 && g[1] === 0) return [quadOf(g[2]!, g[3]!), quadOf(g[6]! ^ 0xffff, g[7]! ^ 0xffff)];
  return [];
}
