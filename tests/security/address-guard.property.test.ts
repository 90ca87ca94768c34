import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressGuard, classifyAddress } from '@marketpulse/webhook-delivery';

// The SSRF guard judges an IPv6 address that carries an IPv4 one as that IPv4 address, whichever
// transition form carries it (issue 14: http://[::127.0.0.1], http://[::ffff:0:127.0.0.1] and
// http://[2002:7f00:1::1] were accepted).

const hex = (n: number) => n.toString(16);
const groups = (a: number, b: number, c: number, d: number) => [hex((a << 8) | b), hex((c << 8) | d)];

/** Every IPv6 form that routes to a.b.c.d. */
function embeddings([a, b, c, d]: number[]): string[] {
  const [hi, lo] = groups(a!, b!, c!, d!);
  const [ihi, ilo] = groups(a! ^ 0xff, b! ^ 0xff, c! ^ 0xff, d! ^ 0xff);
  const quad = `${a}.${b}.${c}.${d}`;
  return [
    `::${quad}`,
    `::ffff:${quad}`,
    `::ffff:0:${quad}`,
    `::ffff:${hi}:${lo}`,
    `2002:${hi}:${lo}::1`,
    `64:ff9b::${quad}`,
    `64:ff9b:1::${hi}:${lo}`,
    // Teredo: a public server (65.54.227.120), the client address inverted.
    `2001:0:4136:e378:8000:63bf:${ihi}:${ilo}`,
  ];
}

/** IPv4 addresses in the ranges that must stay unreachable, and anywhere else. */
const ipv4 = fc.oneof(
  fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
);

/** The guard's refusal, whatever the error model calls its stable code (reason, formerly code). */
const forbidden = (err: unknown) => {
  const e = err as { reason?: string; code?: string };
  return (e.reason ?? e.code) === 'URL_FORBIDDEN';
};

describe('SSRF guard: IPv4 embedded in IPv6', () => {
  it('classifies every embedding of a non-public IPv4 address as that address (property)', () => {
    fc.assert(
      fc.property(ipv4, (v4) => {
        const kind = classifyAddress(v4.join('.'));
        if (kind === null) return;
        for (const v6 of embeddings(v4)) expect(classifyAddress(v6), v6).toBe(kind);
      }),
      { seed: 14, numRuns: 400 },
    );
  });

  it('refuses URLs with such addresses, as written in a URL (the three forms of the issue among them)', async () => {
    const guard = new AddressGuard({ allowLoopback: false, allowPrivate: false }, async () => []);
    for (const url of ['http://[::127.0.0.1]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[2002:7f00:1::1]/']) {
      await expect(guard.vet(url), url).rejects.toSatisfy(forbidden);
    }
    await fc.assert(
      fc.asyncProperty(ipv4, fc.nat(7), async (v4, form) => {
        if (classifyAddress(v4.join('.')) === null) return;
        await expect(guard.vet(`http://[${embeddings(v4)[form]}]:8080/hook`)).rejects.toSatisfy(forbidden);
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});
