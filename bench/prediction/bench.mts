/**
 * Predictions per second out of the prediction service on this machine.
 *
 *   node bench/prediction/bench.mts           (after `pnpm run build`; Node 24 runs the TypeScript as is)
 *
 * Starts the service in this process (in-memory bus, PGlite in a temp folder, or DATABASE_URL),
 * feeds it BENCH_SYMBOLS symbols x BENCH_TICKS ticks, then measures:
 *   - ingest: ticks/s stored and absorbed (each tick is written to the database before its ack);
 *   - on-demand: GetPrediction calls/s over gRPC with BENCH_CONCURRENCY calls in flight;
 *   - published: prediction_complete forecasts/s of one publishing round over all symbols;
 *   - model: forecasts/s of the bare model (no I/O), the ceiling of the above.
 * The gRPC client runs in the same process and on the same core as the server, so the on-demand
 * figure is a floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prediction, type events } from '@marketpulse/proto';
import { createClient, createLogger, MemoryBroker, MemoryBus } from '@marketpulse/runtime';
import { fit, forecast, INTERVAL_Z, loadConfig, startPrediction, syntheticSeries } from '@marketpulse/prediction';

const SYMBOLS = Number(process.env.BENCH_SYMBOLS ?? 50);
const TICKS = Number(process.env.BENCH_TICKS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);

const line = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ bench: 'prediction', name, value: Math.round(value), unit, ...extra }));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'prediction-bench-'));
  const logger = createLogger('prediction-bench', {}, { level: 'warn' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ partitions: 3, retentionPerPartition: SYMBOLS * TICKS }), topicPrefix: 'bench.' });
  const config = loadConfig({
    ...process.env,
    GRPC_PORT: '0',
    PGLITE_DIR: dir,
    KAFKA_TOPIC_PREFIX: 'bench.',
    PREDICTION_INTERVAL_MS: '3600000',
    PREDICTION_CONSUMER_GROUP: `bench-${Date.now()}`,
  });
  const service = await startPrediction(config, { bus, logger });
  try {
    const symbols = Array.from({ length: SYMBOLS }, (_, i) => `BENCH${i}`);
    const startTimeMs = Date.now() - TICKS * 1000;
    const feed: events.Event[] = symbols.flatMap((symbol, s) =>
      syntheticSeries({ start: 100 + s, slopePerS: 0.01, noise: 0.1, count: TICKS, stepMs: 1000, startTimeMs, seed: s + 1 }).map(
        (t, i) => ({
          id: `${symbol}-${i}-${startTimeMs}`,
          type: 'market_data_update',
          source: 'bench',
          owner: '',
          subject: symbol,
          time: new Date(t.timeMs).toISOString(),
          payload: {
            $case: 'market_data_update' as const,
            market_data_update: {
              symbol,
              price: t.price,
              volume: 1,
              bid: t.price,
              ask: t.price,
              timestamp: new Date(t.timeMs).toISOString(),
              provider: 'bench',
              sequence: String(i),
            },
          },
        }),
      ),
    );

    let started = performance.now();
    await bus.publish(feed);
    const lastTime = new Date(startTimeMs + (TICKS - 1) * 1000).toISOString();
    for (;;) {
      const caughtUp = symbols.every(
        (s) => service.predictor.has(s) && service.predictor.predict(s, 60).timestampMs >= Date.parse(lastTime),
      );
      if (caughtUp) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    line('ingest', (feed.length * 1000) / (performance.now() - started), 'ticks/s', {
      ticks: feed.length,
      database: config.DATABASE_URL ? 'postgres' : 'pglite',
    });

    const client = createClient(prediction.PredictionServiceClient, `127.0.0.1:${service.grpcPort}`);
    const latencies: number[] = [];
    const deadline = performance.now() + DURATION_MS;
    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const symbol = symbols[next++ % symbols.length];
          const t0 = performance.now();
          await new Promise<void>((resolve, reject) =>
            client.getPrediction({ symbol, horizon_seconds: 60 }, (err) => (err ? reject(err) : resolve())),
          );
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = performance.now() - started;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2));
    line('on-demand (GetPrediction over gRPC)', (latencies.length * 1000) / elapsed, 'predictions/s', {
      concurrency: CONCURRENCY,
      calls: latencies.length,
      p50_ms: pct(50),
      p99_ms: pct(99),
    });
    client.close();

    for (const s of symbols) service.predictor.observe(s, { price: 100, timeMs: Date.now() + 1000 });
    started = performance.now();
    const published = await service.publisher.publishRound();
    line('published (one prediction_complete round)', (published * 1000) / (performance.now() - started), 'predictions/s', {
      symbols: published,
    });

    const params = { alpha: 0.3, beta: 0.1 };
    const state = fit(
      params,
      syntheticSeries({ start: 100, slopePerS: 0.01, noise: 0.1, count: 500, stepMs: 1000, startTimeMs: 0, seed: 1 }),
    )!;
    const n = 2_000_000;
    let sink = 0;
    started = performance.now();
    for (let i = 0; i < n; i++) sink += forecast(params, state, 1 + (i % 600), INTERVAL_Z['0.95']).predictedPrice;
    line('model (forecast, no I/O)', (n * 1000) / (performance.now() - started), 'predictions/s', { checksum: Math.round(sink) % 1000 });
  } finally {
    await service.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
