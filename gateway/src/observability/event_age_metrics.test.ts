import { metricsRegistry } from '@marketpulse/runtime';
import fc from 'fast-check';
import type { Histogram } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventAgeMetrics } from './event_age_metrics';

const NAME = 'marketpulse_gateway_event_age_seconds';

/** count and sum per type, as /metrics shows them. */
async function observed(): Promise<Record<string, { count: number; sum: number }>> {
  const metric = metricsRegistry().getSingleMetric(NAME) as Histogram;
  const out: Record<string, { count: number; sum: number }> = {};
  for (const v of (await metric.get()).values) {
    const type = String(v.labels.type);
    out[type] ??= { count: 0, sum: 0 };
    if (v.metricName === `${NAME}_count`) out[type].count = v.value;
    if (v.metricName === `${NAME}_sum`) out[type].sum = v.value;
  }
  return out;
}

// eventAgeMetrics parses an event's time once for a run of events that share it (issue 19); each
// event must still be observed with its own age, whatever times came before it.
describe('event age metric', () => {
  afterEach(() => vi.restoreAllMocks());

  it('observes every event with its own age, times repeated or not, none for a time that is not one', async () => {
    const now = Date.parse('2026-12-06T06:00:00.000Z');
    vi.spyOn(Date, 'now').mockReturnValue(now);
    const time = fc.constantFrom(
      '2026-12-06T05:59:59.000Z',
      '2026-12-06T05:59:58.500Z',
      '2026-12-06T06:59:59.000+01:00',
      '2026-12-06T06:00:01.000Z',
      'not a time',
      undefined,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('equity_update', 'system_log'), time), { maxLength: 20 }), async (calls) => {
        (metricsRegistry().getSingleMetric(NAME) as Histogram | undefined)?.reset();
        const observe = eventAgeMetrics();
        const expected: Record<string, { count: number; sum: number }> = {};
        for (const [type, t] of calls) {
          observe(type, t);
          const at = t === undefined ? Number.NaN : Date.parse(t);
          if (!Number.isFinite(at)) continue;
          expected[type] ??= { count: 0, sum: 0 };
          expected[type].count += 1;
          expected[type].sum += Math.max(0, now - at) / 1000;
        }
        const got = await observed();
        for (const type of Object.keys(expected)) {
          expect(got[type]?.count).toBe(expected[type]!.count);
          expect(got[type]?.sum).toBeCloseTo(expected[type]!.sum, 9);
        }
        expect(
          Object.keys(got)
            .filter((type) => got[type]!.count > 0)
            .sort(),
        ).toEqual(Object.keys(expected).sort());
      }),
      { seed: 19, numRuns: 200 },
    );
  });
});
