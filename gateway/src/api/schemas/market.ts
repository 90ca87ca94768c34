import { z } from 'zod';
import { int64, timestamp } from './common';

export const Quote = z
  .object({
    symbol: z.string(),
    price: z.number(),
    bid: z.number(),
    ask: z.number(),
    volume: z.number(),
    open: z.number(),
    high: z.number(),
    low: z.number(),
    previous_close: z.number(),
    change: z.number(),
    change_percent: z.number(),
    timestamp: timestamp,
    provider: z.string(),
  })
  .meta({ id: 'Quote' });

export const SymbolInfo = z
  .object({
    symbol: z.string(),
    name: z.string(),
    asset_class: z.string(),
    currency: z.string(),
    exchange: z.string(),
    active: z.boolean(),
    providers: z.array(z.string()),
  })
  .meta({ id: 'SymbolInfo' });

export const Candle = z
  .object({
    symbol: z.string(),
    interval: z.string(),
    open_time: timestamp,
    close_time: timestamp,
    open: z.number(),
    high: z.number(),
    low: z.number(),
    close: z.number(),
    volume: z.number(),
    vwap: z.number(),
    trade_count: int64,
  })
  .meta({ id: 'Candle' });

export const DataQualityIssue = z
  .object({
    id: z.string(),
    kind: z.string(),
    symbol: z.string(),
    provider: z.string(),
    severity: z.string(),
    detail: z.string(),
    detected_at: timestamp,
    observed_value: z.number(),
    expected_value: z.number(),
    window_start: timestamp,
    window_end: timestamp,
  })
  .meta({ id: 'DataQualityIssue' });

export const Prediction = z
  .object({
    id: z.string(),
    symbol: z.string(),
    horizon_seconds: z.number().int(),
    predicted_price: z.number(),
    confidence: z.number(),
    interval: z.object({ lower: z.number(), upper: z.number(), level: z.number() }).nullable().default(null),
    model_version: z.string(),
    current_price: z.number(),
    timestamp: timestamp,
    target_time: timestamp,
  })
  .meta({ id: 'Prediction' });

const ModelMetrics = z
  .object({
    mae: z.number(),
    rmse: z.number(),
    mape: z.number(),
    directional_accuracy: z.number(),
    interval_coverage: z.number(),
    samples: int64,
  })
  .meta({ id: 'ModelMetrics' });

export const ModelVersion = z
  .object({
    version: z.string(),
    symbol: z.string(),
    algorithm: z.string(),
    status: z.string(),
    metrics: ModelMetrics.nullable().default(null),
    parameters: z.record(z.string(), z.string()),
    description: z.string(),
    training_start: timestamp,
    training_end: timestamp,
    created_at: timestamp,
    trained_at: timestamp,
    deployed_at: timestamp,
    error: z.string(),
  })
  .meta({ id: 'ModelVersion' });

export const ModelDeployment = z
  .object({
    model: ModelVersion.nullable().default(null),
    previous_version: z.string(),
    rollback: z.boolean(),
    deployed_by: z.string(),
    deployed_at: timestamp,
  })
  .meta({ id: 'ModelDeployment' });

export const Backtest = z
  .object({
    id: z.string(),
    symbol: z.string(),
    model_version: z.string(),
    horizon_seconds: z.number().int(),
    start_time: timestamp,
    end_time: timestamp,
    status: z.string(),
    metrics: ModelMetrics.nullable().default(null),
    created_at: timestamp,
    completed_at: timestamp,
    error: z.string(),
  })
  .meta({ id: 'Backtest' });
