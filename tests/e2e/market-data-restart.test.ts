// A restart of the market-data process resumes where it stopped and loses nothing it persisted:
// every symbol's sequence continues without a hole or a repeat across the restart, prices carry on
// from the last quote, and candles closed before the restart are still served unchanged.
// Runs the built service (`pnpm run build` first) as its own process, stopped with SIGTERM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { market } from '@marketpulse/proto';
import { freePort, REPO_ROOT, startProcess, waitFor, type ManagedProcess } from '../harness';
import {
  bySymbol,
  marketClient,
  newSlice,
  readEvents,
  serviceEnv,
  ticksOnKafka,
  unary,
  type Received,
  type Slice,
} from './market-data.kit';

const MAIN = join(REPO_ROOT, 'services/market-data/dist/main.js');
const REGISTER = join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');
const SYMBOLS = ['AAPL', 'BTC-USD'];

async function startMarketDataProcess(slice: Slice, port: number): Promise<ManagedProcess> {
  const proc = startProcess(
    process.execPath,
    ['--require', REGISTER, MAIN],
    serviceEnv(slice, {
      GRPC_PORT: String(port),
      LOG_LEVEL: 'info',
      MARKET_PROVIDER: 'simulated',
      MARKET_TICK_RATE: '10',
      MARKET_SYMBOLS: SYMBOLS.join(','),
      MARKET_SEED: '3',
    }),
    { label: 'market-data-restart' },
  );
  await waitFor(() => proc.output().includes('"msg":"ready"'), { timeoutMs: 30_000, what: `market-data ready (log ${proc.logFile})` });
  return proc;
}

async function candles(port: number, symbol: string): Promise<market.Candle[]> {
  const client = marketClient(port);
  try {
    const res = await unary<market.GetCandlesResponse>((cb) =>
      client.getCandles({ symbol, interval: '1s', start_time: undefined, end_time: undefined, limit: 0 }, cb),
    );
    return res.candles;
  } finally {
    client.close();
  }
}

async function quote(port: number, symbol: string): Promise<market.Quote> {
  const client = marketClient(port);
  try {
    return (await unary<market.GetQuoteResponse>((cb) => client.getQuote({ symbol }, cb))).quote!;
  } finally {
    client.close();
  }
}

describe('market-data restart', () => {
  let slice: Slice;
  let reader: Received;
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm run build\` before this suite`);
    slice = await newSlice('md-restart');
    reader = await readEvents(slice);
  });
  afterAll(async () => {
    await reader?.close();
  });

  it('resumes sequences, prices, quotes and candles after SIGTERM and a new start', async () => {
    const firstPort = await freePort();
    const first = await startMarketDataProcess(slice, firstPort);
    // Two closed candles, waited for rather than slept for (the newest may still be open).
    const closedBefore = await waitFor(
      async () => {
        const closed = (await candles(firstPort, 'AAPL')).slice(0, -1);
        return closed.length >= 2 ? closed : undefined;
      },
      { timeoutMs: 60_000, what: 'two closed AAPL candles of the first run' },
    );
    const exit = await first.stop();
    expect(exit.code, `clean exit (log ${first.logFile})`).toBe(0);

    // Everything the first process published is on Kafka: read all of it before taking stock.
    const published = await ticksOnKafka(slice);
    await waitFor(() => reader.ticks.length >= published, { timeoutMs: 60_000, what: `the ${published} ticks of the first run` });
    const before = bySymbol(reader.ticks);
    const lastBefore = new Map(SYMBOLS.map((s) => [s, before.get(s)!.at(-1)!]));

    const secondPort = await freePort();
    const second = await startMarketDataProcess(slice, secondPort);
    try {
      await waitFor(() => SYMBOLS.every((s) => (bySymbol(reader.ticks).get(s)?.length ?? 0) >= (before.get(s)?.length ?? 0) + 10), {
        timeoutMs: 20_000,
        what: 'ticks of the second run',
      });
      for (const symbol of SYMBOLS) {
        const all = bySymbol(reader.ticks).get(symbol)!;
        expect(
          all.map((t) => Number(t.sequence)),
          `${symbol}: 1..n, no hole, no repeat`,
        ).toEqual(all.map((_, i) => i + 1));
        const firstAfter = all[before.get(symbol)!.length];
        const last = lastBefore.get(symbol)!;
        expect(Math.abs(firstAfter.price / last.price - 1), `${symbol} price carries on`).toBeLessThan(0.01);
        expect(Date.parse(firstAfter.timestamp!)).toBeGreaterThan(Date.parse(last.timestamp!));
      }
      const afterRestart = await candles(secondPort, 'AAPL');
      for (const c of closedBefore) expect(afterRestart).toContainEqual(c);
      const q = await quote(secondPort, 'AAPL');
      expect(q.open, 'the day open survives the restart').toBe(before.get('AAPL')![0].price);
    } finally {
      expect((await second.stop()).code).toBe(0);
    }
  });
});
