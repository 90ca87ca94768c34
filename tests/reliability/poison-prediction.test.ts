import { createLogger } from '@marketpulse/runtime';
import { loadConfig, startPrediction, type PredictionHandle } from '@marketpulse/prediction';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, kafkaBrokers, tickEvent, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { awaitDeadLetters, encoded, produceRaw, undecodable } from './poison.kit';

// The prediction service's tick consumer on the real Kafka and PostgreSQL: a tick the database
// refuses (NUL in its symbol), a malformed tick and undecodable bytes between good ticks on one
// partition; the good ticks after them are stored, the bad ones are in the dead-letter topic.

let db: TestDatabase;
let prefix: string;
let service: PredictionHandle;

beforeAll(async () => {
  db = await createTestDatabase('poison_prediction');
  prefix = uniqueTopicPrefix('poison-prediction');
  const config = loadConfig({
    BUS: 'kafka',
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: db.url,
    GRPC_PORT: '0',
    LOG_LEVEL: 'warn',
    PREDICTION_INTERVAL_MS: '60000',
    BUS_HANDLER_MAX_ATTEMPTS: '3',
    BUS_RETRY_BACKOFF_MAX_MS: '200',
  });
  service = await startPrediction(config, { logger: createLogger('poison-prediction', {}, { level: 'warn' }) });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await db?.drop();
});

const tick = (id: string, symbol: string, price: number) =>
  tickEvent({ id, symbol, price, source: 'market-data', quote: { volume: 1, bid: price, ask: price, provider: 'e2e', sequence: '1' } });

async function storedTickIds(): Promise<string[]> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query<{ event_id: string }>('SELECT event_id FROM prediction.ticks ORDER BY event_id')).rows.map((r) => r.event_id);
  } finally {
    await c.end();
  }
}

describe('prediction tick consumer and poison records', () => {
  it('stores the ticks after a NUL symbol, a malformed tick and undecodable bytes', async () => {
    await produceRaw(prefix, 'market_data_update', [
      encoded(tick('tick-good-1', 'AAPL', 100)),
      encoded(tick('tick-nul', 'AA\u0000PL', 101)),
      encoded(tick('tick-good-2', 'AAPL', 102)),
      encoded(tick('tick-negative', 'AAPL', -5)),
      undecodable(),
      encoded(tick('tick-good-3', 'AAPL', 103)),
    ]);
    await waitFor(async () => (await storedTickIds()).includes('tick-good-3'), {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the last good tick stored',
    });
    expect(await storedTickIds()).toEqual(['tick-good-1', 'tick-good-2', 'tick-good-3']);
    const letters = await awaitDeadLetters(prefix, 3);
    expect(letters.map((l) => [l.source.topic, l.source.partition, l.source.offset, l.failure.reason, l.event?.id ?? null]).sort()).toEqual(
      [
        [`${prefix}market_data_update`, 0, '1', 'DATABASE_REFUSED_RECORD', 'tick-nul'],
        [`${prefix}market_data_update`, 0, '3', 'TICK_MALFORMED', 'tick-negative'],
        [`${prefix}market_data_update`, 0, '4', 'EVENT_UNDECODABLE', null],
      ],
    );
  }, 120_000);

  it('sets aside ticks dated beyond any date, ahead of the clock or priced past any market, and keeps forecasting', async () => {
    const dated = (id: string, price: number, timestamp: string) =>
      tickEvent({
        id,
        symbol: 'MSFT',
        price,
        source: 'market-data',
        quote: { volume: 1, bid: price, ask: price, provider: 'e2e', timestamp },
      });
    const now = Date.now();
    const at = (s: number) => new Date(now - 60_000 + s * 1000).toISOString();
    await produceRaw(prefix, 'market_data_update', [
      encoded(dated('msft-good-1', 100, at(0))),
      // The forecast's target (this + the horizon) is past JavaScript's last date: the round threw, on a timer.
      encoded(dated('msft-last-date', 101, '+275760-09-13T00:00:00.000Z')),
      // Every later tick was older than this one: the model never moved again.
      encoded(dated('msft-2100', 102, '2100-01-01T00:00:00.000Z')),
      // Finite, but its square is not: the model's variance went to Infinity, its forecasts to NaN.
      encoded(dated('msft-1e200', 1e200, at(1))),
      encoded(dated('msft-good-2', 101, at(2))),
    ]);
    await waitFor(async () => (await storedTickIds()).includes('msft-good-2'), {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the last good tick stored',
    });
    expect((await storedTickIds()).filter((id) => id.startsWith('msft'))).toEqual(['msft-good-1', 'msft-good-2']);
    const letters = (await awaitDeadLetters(prefix, 6)).filter((l) => l.event?.id.startsWith('msft'));
    expect(letters.map((l) => [l.event?.id, l.failure.reason]).sort()).toEqual([
      ['msft-1e200', 'TICK_MALFORMED'],
      ['msft-2100', 'TICK_MALFORMED'],
      ['msft-last-date', 'TICK_MALFORMED'],
    ]);
    expect(await service.publisher.publishRound()).toBeGreaterThan(0);
    const forecast = service.predictor.predict('MSFT', 60);
    expect([forecast.predictedPrice, forecast.lower, forecast.upper].every(Number.isFinite)).toBe(true);
  }, 120_000);
});
