import { BlockList, isIP } from 'node:net';
import { embeddedIPv4 } from './embedded_ipv4';

/** Why an address is not an ordinary public one, or null when it is. */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'reserved' | null;

function list(entries: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix, family] of entries) b.addSubnet(net, prefix, family);
  return b;
}

const LOOPBACK = list([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = list([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['198.18.0.0', 15, 'ipv4'], // benchmarking networks
  ['fc00::', 7, 'ipv6'], // unique local
]);
// Link-local holds cloud metadata services (169.254.169.254), the classic SSRF target.
const LINK_LOCAL = list([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const RESERVED = list([
  ['0.0.0.0', 8, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved and broadcast
  ['::', 96, 'ipv6'], // unspecified and the deprecated IPv4-compatible range (::1 is loopback, checked first)
  ['ff00::', 8, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'], // NAT64 reaches IPv4 space we cannot vet
  ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64 (RFC 8215), likewise
  ['2001:db8::', 32, 'ipv6'],
]);

/**
 * An IPv6 address that carries an IPv4 one (embeddedIPv4: compatible, mapped with any prefix,
 * 6to4, NAT64, Teredo) is judged as that IPv4 address first, then as itself.
 */
export function classifyAddress(address: string): AddressClass {
  for (const v4 of embeddedIPv4(address)) {
    const kind = classifyAddress(v4);
    if (kind !== null) return kind;
  }
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(address, family)) return 'loopback';
  if (LINK_LOCAL.check(address, family)) return 'link-local';
  if (PRIVATE.check(address, family)) return 'private';
  if (RESERVED.check(address, family)) return 'reserved';
  return null;
}
