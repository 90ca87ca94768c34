import { describe, expect, it } from 'vitest';
import { alerting, events, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { EVENT_TYPES, type EventType, type PayloadOf } from '@marketpulse/runtime';
import { SEED_003_POSITION } from './seed_fixtures';

type Payload = NonNullable<events.Event['payload']>;

const T0 = '2024-01-15T10:30:00.000Z';
const T1 = '2024-01-15T10:31:00.000Z';
// Above 2^53: survives only if int64 travels as a string end to end.
const BIG = '9007199254740993';

const metrics = prediction.ModelMetrics.fromPartial({ mae: 0.4, rmse: 0.6, samples: BIG });
const model = prediction.ModelVersion.fromPartial({
  version: 'AAPL-v3',
  symbol: 'AAPL',
  algorithm: 'ewma',
  status: 'trained',
  metrics,
  parameters: { alpha: '0.3' },
  trained_at: T0,
});
const attempt = webhooks.Attempt.fromPartial({
  attempt_number: 2,
  time: T0,
  status_code: 503,
  duration_ms: 120,
  error: 'HTTP 503',
  trigger: 'scheduled',
});

// One sample per case; the mapped type makes this fail to compile when a case is added or removed.
const samples: { [K in EventType]: PayloadOf<K> } = {
  market_data_update: market.Tick.fromPartial({
    symbol: 'AAPL',
    price: 149.5,
    volume: 1000000,
    bid: 149.49,
    ask: 149.51,
    timestamp: T0,
    sequence: BIG,
  }),
  aggregation: market.Candle.fromPartial({
    symbol: 'AAPL',
    interval: '1m',
    open_time: T0,
    close_time: T1,
    open: 149,
    high: 150,
    low: 148.5,
    close: 149.5,
    volume: 12000,
    trade_count: BIG,
  }),
  data_quality_issue: market.DataQualityIssue.fromPartial({
    id: 'dq1',
    kind: 'stale_feed',
    symbol: 'AAPL',
    severity: 'warning',
    detail: 'no tick for 42 s',
    detected_at: T0,
  }),
  prediction_complete: prediction.Prediction.fromPartial({
    id: 'p1',
    symbol: 'AAPL',
    horizon_seconds: 60,
    predicted_price: 150.25,
    confidence: 0.85,
    interval: { lower: 149.8, upper: 150.7, level: 0.95 },
    model_version: 'AAPL-v3',
    timestamp: T0,
    target_time: T1,
  }),
  model_trained: model,
  model_deployed: prediction.ModelDeployment.fromPartial({
    model,
    previous_version: 'AAPL-v2',
    deployed_by: 'ops',
    deployed_at: T0,
  }),
  backtest_complete: prediction.Backtest.fromPartial({
    id: 'bt1',
    symbol: 'AAPL',
    model_version: 'AAPL-v3',
    start_time: T0,
    end_time: T1,
    status: 'completed',
    metrics,
  }),
  alert_triggered: alerting.Alert.fromPartial({
    id: 'a1',
    rule_id: 'r1',
    alert_type: 'price_alert',
    condition: 'price_above',
    severity: 'high',
    symbol: 'AAPL',
    message: 'Price exceeded $150',
    values: { price: 150.1, threshold: 150 },
    timestamp: T0,
  }),
  provider_status_change: providers.ProviderStatusChange.fromPartial({
    provider: 'CoinGecko',
    old_status: 'online',
    new_status: 'degraded',
    details: { error: 'timeout' },
  }),
  rate_limit_alert: providers.RateLimitAlert.fromPartial({
    provider: 'CoinGecko',
    percentage: 85,
    severity: 'warning',
    used: 42,
    limit: 50,
    limit_type: 'per_minute',
  }),
  status_update: providers.StatusUpdate.fromPartial({
    system_metrics: { total_providers: 8, online_count: 6, degraded_count: 1, offline_count: 1, system_health: 'degraded', timestamp: T0 },
    alert_count: 2,
  }),
  system_log: events.SystemLog.fromPartial({
    level: 'INFO',
    module: 'PositionService',
    message: 'Position opened successfully',
    timestamp: T0,
  }),
  system_error: events.SystemError.fromPartial({
    service: 'prediction',
    code: 'MODEL_TRAINING_FAILED',
    message: 'not enough ticks to train AAPL',
    timestamp: T0,
  }),
  position_update: events.PositionUpdate.fromPartial(SEED_003_POSITION),
  equity_update: events.EquityUpdate.fromPartial({
    total_equity: '10000.00',
    peak_equity: '10500.00',
    current_equity: '10000.00',
  }),
  risk_status_update: events.RiskStatusUpdate.fromPartial({
    status: 'soft_pause',
    message: 'New position openings stopped.',
    drawdown_pct: '0.04',
    daily_loss_pct: '0.03',
  }),
  webhook_delivery: webhooks.DeliveryOutcome.fromPartial({
    delivery_id: 'd1',
    endpoint_id: 'wh_1',
    event_id: 'e1',
    event_type: 'prediction_complete',
    status: 'pending',
    attempt,
    next_attempt_at: T1,
  }),
};

function envelope<K extends EventType>(type: K): events.Event {
  // A computed key loses the pairing of $case and value in TS's eyes; samples guarantees it.
  const payload = { $case: type, [type]: samples[type] } as unknown as Payload;
  return events.Event.fromPartial({ id: `evt-${type}`, type, source: 'contract-test', subject: 'AAPL', time: T0, payload });
}

function keysOf(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keysOf(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...keysOf(v, `${path}.${k}`)]);
}

describe('events.Event envelope', () => {
  it('has a sample for every event type of the catalog', () => {
    expect(Object.keys(samples).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES)('%s survives protobuf binary encode/decode unchanged', (type) => {
    const event = envelope(type);
    const decoded = events.Event.decode(events.Event.encode(event).finish());
    expect(decoded).toEqual(event);
    expect(decoded.payload?.$case).toBe(type);
  });

  it.each(EVENT_TYPES)('%s JSON has snake_case keys, the payload under its type, and round-trips', (type) => {
    const event = envelope(type);
    const json = events.Event.toJSON(event) as Record<string, unknown>;
    expect(json.type).toBe(type);
    expect(json.time).toBe(T0);
    expect(json[type]).toBeTypeOf('object');
    const badKeys = keysOf(json).filter((p) => !/^[a-z][a-z0-9_]*$/.test(p.slice(p.lastIndexOf('.') + 1)));
    expect(badKeys).toEqual([]);
    expect(events.Event.fromJSON(JSON.parse(JSON.stringify(json)))).toEqual(event);
  });

  it('carries int64 fields as exact decimal strings in objects and in JSON', () => {
    const tick = events.Event.decode(events.Event.encode(envelope('market_data_update')).finish());
    expect(tick.payload?.$case === 'market_data_update' && tick.payload.market_data_update.sequence).toBe(BIG);
    const json = JSON.parse(JSON.stringify(events.Event.toJSON(envelope('aggregation'))));
    expect(json.aggregation.trade_count).toBe(BIG);
  });

  it('writes seed-shaped JSON for a cash & carry position update (seed 003)', () => {
    const json = events.Event.toJSON(envelope('position_update')) as { position_update: unknown };
    expect(json.position_update).toEqual(SEED_003_POSITION);
  });
});
