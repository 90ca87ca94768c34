import { describe, expect, it } from 'vitest';
import { benchTick, publishAtRate } from './protocol.mts';

describe('ws-fanout publisher', () => {
  it('stamps every message with the time its round was due, so a server that falls behind keeps its backlog in the latency', async () => {
    const rounds: { n: number; dueNs: bigint; publishedAt: number }[] = [];
    await publishAtRate(100, 100, (n, dueNs) => {
      rounds.push({ n, dueNs, publishedAt: performance.now() });
      // The server is busy for 35 ms on round 0: rounds 1–3 fall due meanwhile.
      if (n === 0) for (const until = performance.now() + 35; performance.now() < until;);
    });
    expect(rounds.length).toBeGreaterThanOrEqual(5);
    for (const { n, dueNs } of rounds) expect(dueNs - rounds[0]!.dueNs).toBe(BigInt(n) * 10_000_000n);
    // Round 1 went out only once the server was free, 35 ms after round 0, still stamped 10 ms after it.
    expect(rounds[1]!.publishedAt - rounds[0]!.publishedAt).toBeGreaterThanOrEqual(35);
    expect(JSON.parse(JSON.stringify(benchTick('S', 3, 4, rounds[3]!.dueNs))).t).toBe(rounds[3]!.dueNs.toString());
  });
});
