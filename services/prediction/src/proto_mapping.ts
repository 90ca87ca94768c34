import type { prediction } from '@marketpulse/proto';
import type { BacktestMetrics } from './lifecycle/backtest';
import { versionName, type PredictionResult } from './predictor';
import type { BacktestRecord, DeploymentRecord, ModelVersionRecord, QualityMetrics } from './store/store';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function toQualityMetrics(m: BacktestMetrics): QualityMetrics {
  return {
    mae: m.mae,
    rmse: m.rmse,
    mape: m.mape,
    directionalAccuracy: m.directionalAccuracy,
    intervalCoverage: m.intervalCoverage,
    samples: m.predictions,
  };
}

export function toProtoMetrics(m: QualityMetrics | undefined): prediction.ModelMetrics | undefined {
  if (!m) return undefined;
  return {
    mae: m.mae,
    rmse: m.rmse,
    mape: m.mape,
    directional_accuracy: m.directionalAccuracy,
    interval_coverage: m.intervalCoverage,
    samples: String(m.samples),
  };
}

export function toProtoPrediction(p: PredictionResult): prediction.Prediction {
  return {
    id: p.id,
    symbol: p.symbol,
    horizon_seconds: p.horizonS,
    predicted_price: p.predictedPrice,
    confidence: p.confidence,
    interval: { lower: p.lower, upper: p.upper, level: p.level },
    model_version: p.modelVersion,
    current_price: p.currentPrice,
    timestamp: iso(p.timestampMs),
    target_time: iso(p.targetTimeMs),
  };
}

export function toProtoModelVersion(v: ModelVersionRecord): prediction.ModelVersion {
  return {
    version: versionName(v.symbol, v.number),
    symbol: v.symbol,
    algorithm: v.algorithm,
    status: v.status,
    metrics: toProtoMetrics(v.metrics),
    parameters: { alpha: String(v.params.alpha), beta: String(v.params.beta) },
    description: v.description,
    training_start: iso(v.trainingStartMs),
    training_end: iso(v.trainingEndMs),
    created_at: iso(v.createdAtMs),
    trained_at: iso(v.trainedAtMs),
    deployed_at: iso(v.deployedAtMs),
    error: v.error,
  };
}

export function toProtoDeployment(d: DeploymentRecord): prediction.ModelDeployment {
  return {
    model: toProtoModelVersion(d.model),
    previous_version: d.previousNumber === undefined ? '' : versionName(d.model.symbol, d.previousNumber),
    rollback: d.rollback,
    deployed_by: d.deployedBy,
    deployed_at: iso(d.deployedAtMs),
  };
}

export function toProtoBacktest(b: BacktestRecord): prediction.Backtest {
  return {
    id: b.id,
    symbol: b.symbol,
    model_version: versionName(b.symbol, b.modelNumber),
    horizon_seconds: b.horizonS,
    start_time: iso(b.startMs),
    end_time: iso(b.endMs),
    status: b.status,
    metrics: toProtoMetrics(b.metrics),
    created_at: iso(b.createdAtMs),
    completed_at: iso(b.completedAtMs),
    error: b.error,
  };
}
