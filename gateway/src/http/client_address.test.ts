import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddress, invalidProxyEntries, NO_TRUSTED_PROXIES, ownOrigin, requestHost, TrustedProxies } from './client_address';

/** A request as the HTTP server hands it over: the peer on the socket, the headers lower-cased. */
function request(peer: string | undefined, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

const proxies = new TrustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
const RUNS = { seed: 2026, numRuns: 300 };

/** Addresses a proxy is never configured with here: 203.0.113.0/24 (TEST-NET-3) and 2001:db8::/32. */
const untrustedIp = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((n) => `203.0.113.${n}`),
  fc.integer({ min: 0, max: 0xffff }).map((n) => `2001:db8::${n.toString(16)}`),
);
const trustedIp = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.constant('192.168.1.5'),
  fc.constant('::ffff:10.1.2.3'),
  fc.integer({ min: 0, max: 0xffff }).map((n) => `fd00::${n.toString(16)}`),
);
/** What a client may write into X-Forwarded-For: anything a header can carry, commas included. */
const anyHeader = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(fc.oneof(fc.string({ maxLength: 12 }), untrustedIp, trustedIp), { maxLength: 8 }).map((hops) => hops.join(',')),
  fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 3 }),
);

describe('TRUSTED_PROXIES entries', () => {
  it('takes IPv4 and IPv6 addresses and CIDR blocks, and names every other entry', () => {
    expect(invalidProxyEntries(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0', '::ffff:10.0.0.1'])).toEqual([]);
    expect(
      invalidProxyEntries(['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1:80', '10.0.0.0/8/1', '10.0.0.0/', 'fe80::1%eth0']),
    ).toEqual(['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1:80', '10.0.0.0/8/1', '10.0.0.0/', 'fe80::1%eth0']);
    expect(() => new TrustedProxies(['nope'])).toThrow(/TRUSTED_PROXIES: 'nope' is not an IP address or a CIDR block/);
  });

  it('matches addresses in its blocks, IPv4-mapped or not', () => {
    expect(['10.9.8.7', '::ffff:10.9.8.7', '192.168.1.5', 'fd00::1'].map((a) => proxies.has(a))).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.6', 'fe00::1', 'garbage', ''].map((a) => proxies.has(a))).toEqual([false, false, false, false, false]);
  });
});

describe('clientAddress', () => {
  it('is the TCP peer without TRUSTED_PROXIES, whatever X-Forwarded-For says', () => {
    expect(clientAddress(request('10.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), NO_TRUSTED_PROXIES)).toBe('10.0.0.1');
    expect(clientAddress(request(undefined), NO_TRUSTED_PROXIES)).toBe('unknown');
  });

  it('behind trusted proxies, is the rightmost hop that is not one', () => {
    const via = (xff: string | string[]) => clientAddress(request('10.0.0.1', { 'x-forwarded-for': xff }), proxies);
    expect(via('203.0.113.9')).toBe('203.0.113.9');
    expect(via('1.1.1.1, 203.0.113.9, 10.2.3.4, 192.168.1.5')).toBe('203.0.113.9');
    expect(via(' 2001:db8::1 ,fd00::2')).toBe('2001:db8::1');
    expect(via('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(via(['203.0.113.1', '203.0.113.2'])).toBe('203.0.113.2');
    // Every hop a proxy: the farthest one is the client (a health check from inside).
    expect(via('10.0.0.7, 10.0.0.8')).toBe('10.0.0.7');
  });

  it('falls back to the peer on a missing, empty or malformed header', () => {
    const via = (headers: Record<string, string>) => clientAddress(request('10.0.0.1', headers), proxies);
    expect(via({})).toBe('10.0.0.1');
    expect(via({ 'x-forwarded-for': '' })).toBe('10.0.0.1');
    for (const bad of [
      'unknown',
      '203.0.113.9:4711',
      '203.0.113.9,',
      '[2001:db8::1]',
      '203.0.113.999',
      'fe80::1%eth0',
      '203.0.113.9, junk',
    ]) {
      expect(via({ 'x-forwarded-for': bad })).toBe('10.0.0.1');
    }
    // A malformed hop left of the client was written by the client itself: it does not matter.
    expect(via({ 'x-forwarded-for': 'junk, 203.0.113.9' })).toBe('203.0.113.9');
  });

  it('never lets a peer that is not a trusted proxy choose its address (property)', () => {
    fc.assert(
      fc.property(untrustedIp, anyHeader, (peer, xff) => {
        expect(clientAddress(request(peer, { 'x-forwarded-for': xff }), proxies)).toBe(peer);
      }),
      RUNS,
    );
  });

  it('answers any header with the peer or an address the header names, never throwing (property)', () => {
    fc.assert(
      fc.property(trustedIp, anyHeader, (peer, xff) => {
        const got = clientAddress(request(peer, { 'x-forwarded-for': xff }), proxies);
        const hops = [xff]
          .flat()
          .join(',')
          .split(',')
          .map((h) => h.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''));
        expect(got === peer || hops.includes(got)).toBe(true);
      }),
      RUNS,
    );
  });

  it('finds the client whatever it wrote left of it and however many proxies are on its right (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }).filter((s) => !s.includes(',')),
            untrustedIp,
            trustedIp,
          ),
          { maxLength: 5 },
        ),
        untrustedIp,
        fc.array(trustedIp, { maxLength: 4 }),
        trustedIp,
        (forged, client, chain, peer) => {
          const xff = [...forged, client, ...chain].join(', ');
          expect(clientAddress(request(peer, { 'x-forwarded-for': xff }), proxies)).toBe(client);
        },
      ),
      RUNS,
    );
  });
});

/** What a client (or a proxy) may write into Forwarded: any text, and elements of pairs with tokens, quoted strings and nodes. */
const forwardedValue = fc.oneof(
  untrustedIp,
  trustedIp,
  untrustedIp.map((ip) => (ip.includes(':') ? `"[${ip}]:4711"` : `"${ip}:4711"`)),
  fc.constantFrom('unknown', '_hidden', '"_x:_p"', '""', '"\\"', '"a\\"b"', '"[::1]"', '[::1]', '"unterminated'),
  fc.string({ maxLength: 16 }),
  fc.string({ maxLength: 16 }).map((text) => JSON.stringify(text)),
);
const forwardedElement = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('for', 'FOR', 'host', 'proto', 'by', 'x', ''), forwardedValue), { maxLength: 4 }),
    fc.constantFrom(';', '; ', ' ;'),
  )
  .map(([pairs, separator]) => pairs.map(([name, value]) => `${name}=${value}`).join(separator));
const anyForwarded = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.array(fc.oneof(forwardedElement, fc.string({ maxLength: 12 })), { maxLength: 6 }).map((elements) => elements.join(', ')),
  fc.array(forwardedElement, { minLength: 1, maxLength: 3 }),
);

describe('clientAddress from RFC 7239 Forwarded', () => {
  const via = (forwarded: string | string[], extra: Record<string, string> = {}) =>
    clientAddress(request('10.0.0.1', { forwarded, ...extra }), proxies);

  it('behind trusted proxies, is the rightmost for= that is not one, quoted or not, IPv6 in brackets, ports dropped', () => {
    expect(via('for=203.0.113.9')).toBe('203.0.113.9');
    expect(via('for=1.1.1.1, for=203.0.113.9;proto=https, for=10.2.3.4, for=192.168.1.5')).toBe('203.0.113.9');
    expect(via('for="[2001:db8::1]:4711";host=gw.example, For="[fd00::2]"')).toBe('2001:db8::1');
    expect(via('for="203.0.113.9:4711"')).toBe('203.0.113.9');
    expect(via('for="[::ffff:203.0.113.9]"')).toBe('203.0.113.9');
    expect(via('for=203.0.113.9;by=_lb')).toBe('203.0.113.9');
    expect(via(['for=203.0.113.1', 'for=203.0.113.2'])).toBe('203.0.113.2');
    expect(via('for="_a\\"b,c", for=203.0.113.9')).toBe('203.0.113.9');
    expect(via('for=10.0.0.7, for=10.0.0.8')).toBe('10.0.0.7');
  });

  it('falls back to the peer on unknown, obfuscated, missing or malformed nodes, as on a malformed X-Forwarded-For hop', () => {
    for (const bad of [
      'for=unknown',
      'for=_hidden',
      'for="_x:_port"',
      'proto=https',
      'for=2001:db8::1',
      'for="[203.0.113.9]"',
      'for="fe80::1%eth0"',
      'for=203.0.113.999',
      'for=203.0.113.9;for=203.0.113.8',
      'for="203.0.113.9',
      'for=203.0.113.9 x',
      'for=203.0.113.9, for=junk',
      'for=203.0.113.9, =x',
      'for="203.0.113.1, for=203.0.113.9',
    ]) {
      expect([bad, via(bad)]).toEqual([bad, '10.0.0.1']);
    }
    // Elements left of the client were written by the client itself: they do not matter.
    expect(via('for=junk;;;"", for=unknown, for=203.0.113.9')).toBe('203.0.113.9');
  });

  it('wins over X-Forwarded-For when a trusted proxy sends both', () => {
    expect(via('for=203.0.113.9', { 'x-forwarded-for': '198.51.100.7' })).toBe('203.0.113.9');
    expect(via('for=unknown', { 'x-forwarded-for': '198.51.100.7' })).toBe('10.0.0.1');
    // An empty Forwarded says nothing: X-Forwarded-For is read.
    expect(via('', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
  });

  it('never lets a peer that is not a trusted proxy choose its address (property)', () => {
    fc.assert(
      fc.property(untrustedIp, anyForwarded, (peer, forwarded) => {
        expect(clientAddress(request(peer, { forwarded }), proxies)).toBe(peer);
        expect(requestHost(request(peer, { forwarded }), proxies)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('answers any Forwarded value with the peer or an address it names, and never throws on host or origin (property)', () => {
    fc.assert(
      fc.property(trustedIp, anyForwarded, fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), (peer, forwarded, host) => {
        const req = request(peer, host === undefined ? { forwarded } : { forwarded, host });
        const got = clientAddress(req, proxies);
        expect(got === peer || [forwarded].flat().join(',').includes(got)).toBe(true);
        const own = ownOrigin(req, proxies);
        expect(own === undefined || /^https?:\/\//.test(own)).toBe(true);
        expect(() => requestHost(req, proxies)).not.toThrow();
      }),
      RUNS,
    );
  });

  it('finds the client whatever well-formed elements it wrote left of it (property)', () => {
    const forged = fc.oneof(
      fc.string({ maxLength: 12 }).filter((s) => !/[",]/.test(s)),
      untrustedIp.map((ip) => `for="${ip}"`),
      fc.constantFrom('for=unknown', 'for=_x;host=evil.example', 'proto=https'),
    );
    fc.assert(
      fc.property(
        fc.array(forged, { maxLength: 5 }),
        untrustedIp,
        fc.array(trustedIp, { maxLength: 4 }),
        trustedIp,
        (left, client, chain, peer) => {
          const node = (ip: string) => (ip.includes(':') ? `"[${ip}]"` : `"${ip}"`);
          const forwarded = [...left, `for=${node(client)};host=gw.example;proto=https`, ...chain.map((ip) => `for=${node(ip)}`)].join(
            ', ',
          );
          const req = request(peer, { forwarded, host: 'inner:8000' });
          expect(clientAddress(req, proxies)).toBe(client);
          expect(ownOrigin(req, proxies)).toBe('https://gw.example');
        },
      ),
      RUNS,
    );
  });
});

describe('ownOrigin', () => {
  it("is the Host header's origin over plain HTTP", () => {
    expect(ownOrigin(request('203.0.113.9', { host: 'gw.example:8000' }), proxies)).toBe('http://gw.example:8000');
    expect(ownOrigin(request('203.0.113.9', { host: 'GW.example:80' }), proxies)).toBe('http://gw.example');
    expect(ownOrigin(request('203.0.113.9', { host: '[::1]:8000' }), proxies)).toBe('http://[::1]:8000');
  });

  it('takes X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy only', () => {
    const headers = { host: 'gateway:8000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gw.example, inner' };
    expect(ownOrigin(request('10.0.0.1', headers), proxies)).toBe('https://gw.example');
    expect(ownOrigin(request('203.0.113.9', headers), proxies)).toBe('http://gateway:8000');
    expect(ownOrigin(request('10.0.0.1', { host: 'gw.example', 'x-forwarded-proto': 'gopher' }), proxies)).toBe('http://gw.example');
  });

  it("takes Forwarded's host and proto from a trusted proxy only, from the element that names the client", () => {
    const forwarded = 'for=1.2.3.4;host=evil.example;proto=http, for=203.0.113.9;host="gw.example";proto=HTTPS, for=10.0.0.2;host=inner';
    const headers = { host: 'gateway:8000', forwarded, 'x-forwarded-host': 'other.example', 'x-forwarded-proto': 'http' };
    expect(ownOrigin(request('10.0.0.1', headers), proxies)).toBe('https://gw.example');
    expect(requestHost(request('10.0.0.1', headers), proxies)).toBe('gw.example');
    expect(ownOrigin(request('203.0.113.9', headers), proxies)).toBe('http://gateway:8000');
    // Forwarded without host or proto: the Host header and the socket's scheme, not X-Forwarded-*.
    expect(ownOrigin(request('10.0.0.1', { ...headers, forwarded: 'for=203.0.113.9' }), proxies)).toBe('http://gateway:8000');
    expect(ownOrigin(request('10.0.0.1', { host: 'gw.example', forwarded: 'for=unknown;proto=https' }), proxies)).toBe(
      'https://gw.example',
    );
    expect(ownOrigin(request('10.0.0.1', { host: 'gw.example', forwarded: 'for="unterminated;proto=https' }), proxies)).toBe(
      'http://gw.example',
    );
  });

  it('is undefined without a usable host', () => {
    for (const host of [undefined, '', 'evil.example/x@gw.example', 'gw.example:80:80', 'a b']) {
      expect(ownOrigin(request('203.0.113.9', host === undefined ? {} : { host }), proxies)).toBeUndefined();
    }
  });
});
