import { fit, forecast, INTERVAL_Z, syntheticSeries } from '@marketpulse/prediction';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { newSlice, startService, tickFeed, type RunningService, type Slice, type TickFeed } from './prediction.kit';

const series = {
  start: 20,
  slopePerS: -0.02,
  noise: 0.05,
  walk: 0.02,
  count: 150,
  stepMs: 1000,
  startTimeMs: Date.now() - 200_000,
  seed: 23,
};
const ticks = syntheticSeries(series);
const beforeStop = ticks.slice(0, 100);
const whileDown = ticks.slice(100);

describe('prediction over Kafka and PostgreSQL: restart', () => {
  let slice: Slice;
  let service: RunningService | undefined;
  let feed: TickFeed;
  const c = () => service!.api;
  const absorbed = (price: number) =>
    waitFor(async () => (await c().getPrediction({ symbol: 'KEEP', horizon_seconds: 0 })).prediction?.current_price === price, {
      what: `the KEEP tick priced ${price} to be absorbed`,
      timeoutMs: 30_000,
    });

  beforeAll(async () => {
    slice = await newSlice('prediction_restart');
    feed = await tickFeed(slice);
  });

  afterAll(async () => {
    await feed?.close();
    await service?.stop();
    await slice?.db.drop();
  });

  it('keeps every model version and the deployment, and resumes from its committed offsets', async () => {
    service = await startService(slice);
    await feed.send('KEEP', beforeStop);
    await absorbed(beforeStop[beforeStop.length - 1].price);
    await c().trainModel({ symbol: 'KEEP', algorithm: '', parameters: { beta: '0.05' }, description: '' });
    await c().deployModel({ symbol: 'KEEP', version: 'KEEP-v2', requested_by: 'e2e' });
    const versionsBefore = (await c().listModelVersions({ symbol: 'KEEP', limit: 0 })).models;

    await service.stop();
    expect((await service.proc.exited).code).toBe(0);

    await feed.send('KEEP', whileDown, beforeStop.length);
    service = await startService(slice);
    await absorbed(ticks[ticks.length - 1].price);

    const versionsAfter = (await c().listModelVersions({ symbol: 'KEEP', limit: 0 })).models;
    expect(versionsAfter).toEqual(versionsBefore);
    expect(versionsAfter.map((m) => `${m.version}:${m.status}`)).toEqual(['KEEP-v2:deployed', 'KEEP-v1:retired']);

    // The live model equals one that absorbed every tick exactly once with the deployed parameters:
    // nothing was lost across the restart and nothing was consumed twice.
    const deployed = versionsAfter[0];
    const params = { alpha: Number(deployed.parameters.alpha), beta: Number(deployed.parameters.beta) };
    const expected = forecast(params, fit(params, ticks)!, 60, INTERVAL_Z['0.95']);
    const p = (await c().getPrediction({ symbol: 'KEEP', horizon_seconds: 60 })).prediction!;
    expect(p.model_version).toBe('KEEP-v2');
    expect(p.predicted_price).toBeCloseTo(expected.predictedPrice, 9);
    expect(p.interval!.upper).toBeCloseTo(expected.upper, 9);

    const admin = slice.kafka.admin();
    await admin.connect();
    try {
      const committed = await waitFor(
        async () => {
          const [topic] = await admin.fetchOffsets({ groupId: `${slice.prefix}prediction`, topics: [`${slice.prefix}market_data_update`] });
          const total = topic.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
          return total === ticks.length ? total : undefined;
        },
        { what: 'the consumer group to have committed every tick', timeoutMs: 15_000 },
      );
      expect(committed).toBe(ticks.length);
    } finally {
      await admin.disconnect();
    }
  });
});
