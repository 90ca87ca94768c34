// Each data-quality rule fires on a crafted feed (as a data_quality_issue event on Kafka and in
// ListDataQualityIssues) and none fires on a clean one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { market } from '@marketpulse/proto';
import type { MarketDataHandle } from '@marketpulse/market-data';
import { waitFor } from '../harness';
import { marketClient, newSlice, readEvents, startService, unary, type Received } from './market-data.kit';

const T0 = Date.UTC(2024, 4, 1, 14, 30, 0);

interface Row {
  symbol: string;
  price: number;
  bid?: number;
  ask?: number;
  volume: number;
  time: string;
}
const row = (symbol: string, ms: number, price: number, extra: Partial<Row> = {}): Row => ({
  symbol,
  price,
  bid: price - 0.01,
  ask: price + 0.01,
  volume: 1,
  time: new Date(T0 + ms).toISOString(),
  ...extra,
});

/** Forty quiet ticks every 500 ms: small deterministic wiggles, no rule should mind them. */
const calm = (symbol: string, base: number) =>
  Array.from({ length: 40 }, (_, i) => row(symbol, i * 500, base + 0.01 * (((i * 7) % 5) - 2)));

function craftedFeed(): Row[] {
  const gap = calm('GAPS', 50).slice(0, 10);
  gap.push(row('GAPS', 4500 + 7000, 50)); // 7 s after the previous tick; threshold 5 s
  const outlier = calm('OUTL', 100);
  outlier.push(row('OUTL', 40 * 500, 105)); // +5 % after 40 moves of a few basis points
  const crossed = calm('CROS', 200).slice(0, 10);
  crossed[5] = row('CROS', 2500, 200, { bid: 200.5, ask: 199.5 });
  const ordered = calm('ORDR', 300).slice(0, 10);
  ordered.splice(6, 0, row('ORDR', 1200, 300)); // after the tick at 2500 ms
  const quiet = calm('STAL', 400).slice(0, 3);
  return [...gap, ...outlier, ...crossed, ...ordered, ...quiet];
}

const RULES = { MARKET_GAP_MS: '5000', MARKET_STALE_MS: '1500', MARKET_OUTLIER_SIGMA: '6', MARKET_OUTLIER_WARMUP: '30' };

describe('market-data data quality', () => {
  let service: MarketDataHandle | undefined;
  let reader: Received | undefined;
  afterEach(async () => {
    await service?.close();
    await reader?.close();
    service = reader = undefined;
  });

  it('fires each rule on a crafted feed, for the symbol that breaks it', async () => {
    const slice = await newSlice('md-quality');
    const path = join(mkdtempSync(join(tmpdir(), 'md-quality-')), 'crafted.ndjson');
    writeFileSync(
      path,
      craftedFeed()
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    reader = await readEvents(slice);
    service = await startService(slice, {
      ...RULES,
      MARKET_PROVIDER: 'replay',
      MARKET_REPLAY_FILE: path,
      MARKET_REPLAY_SPEED: '0',
      MARKET_SYMBOLS: 'GAPS,OUTL,CROS,ORDR,STAL',
    });
    const kinds = () =>
      new Map(
        ['gap', 'outlier', 'crossed_quote', 'out_of_order', 'stale_feed'].map((k) => [
          k,
          reader!.issues
            .filter((i) => i.kind === k)
            .map((i) => i.symbol)
            .sort(),
        ]),
      );
    await waitFor(() => (kinds().get('stale_feed')?.length ?? 0) === 5, {
      timeoutMs: 20_000,
      what: 'every feed reported stale after the file ended',
    });
    expect(Object.fromEntries(kinds())).toEqual({
      gap: ['GAPS'],
      outlier: ['OUTL'],
      crossed_quote: ['CROS'],
      out_of_order: ['ORDR'],
      stale_feed: ['CROS', 'GAPS', 'ORDR', 'OUTL', 'STAL'],
    });
    const gap = reader.issues.find((i) => i.kind === 'gap')!;
    expect(gap).toMatchObject({ severity: 'warning', provider: 'replay', observed_value: 7000, expected_value: 5000 });
    expect(gap.detail).toBe('no tick for 7.0 s (threshold 5.0 s)');
    expect(gap.window_start).toBe(new Date(T0 + 4500).toISOString());
    expect(reader.issues.find((i) => i.kind === 'outlier')).toMatchObject({ observed_value: 105, severity: 'high' });
    expect(reader.issues.find((i) => i.kind === 'crossed_quote')).toMatchObject({ observed_value: 200.5, expected_value: 199.5 });

    const client = marketClient(service.grpcPort);
    try {
      const listed = await unary<market.ListDataQualityIssuesResponse>((cb) =>
        client.listDataQualityIssues({ symbol: 'ORDR', kind: '', since: undefined, limit: 0 }, cb),
      );
      expect(listed.issues.map((i) => i.kind).sort()).toEqual(['out_of_order', 'stale_feed']);
      const outliers = await unary<market.ListDataQualityIssuesResponse>((cb) =>
        client.listDataQualityIssues({ symbol: '', kind: 'outlier', since: undefined, limit: 0 }, cb),
      );
      expect(outliers.issues.map((i) => i.symbol)).toEqual(['OUTL']);
    } finally {
      client.close();
    }
  });

  it('fires nothing on a clean simulated feed', async () => {
    const slice = await newSlice('md-quality-clean');
    reader = await readEvents(slice);
    service = await startService(slice, { ...RULES, MARKET_PROVIDER: 'simulated', MARKET_TICK_RATE: '20', MARKET_SEED: '9' });
    await waitFor(() => reader!.ticks.length >= 7 * 20 * 4, { timeoutMs: 20_000, what: 'four seconds of clean ticks on Kafka' });
    await waitFor(() => reader!.candles.length > 7, { timeoutMs: 20_000, what: 'candles closing (the pipeline is flowing)' });
    expect(reader.issues).toEqual([]);
  });
});
