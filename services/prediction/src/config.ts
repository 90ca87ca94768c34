import {
  envPort,
  envPositiveInt,
  loadConfig as loadFromEnv,
  grpcStreamConfigShape,
  metricsConfigShape,
  serviceConfigSchema,
  type EnvSource,
} from '@marketpulse/runtime';
import { z } from 'zod';
import { INTERVAL_Z } from './model/forecast';

export const predictionConfigSchema = serviceConfigSchema('prediction', {
  GRPC_PORT: envPort().default(50052).describe('Port of the PredictionService gRPC server (0 picks a free one).'),
  ...metricsConfigShape(9466),
  ...grpcStreamConfigShape(),
  PREDICTION_INTERVAL_MS: envPositiveInt('a positive number of milliseconds')
    .default(5000)
    .describe(
      'Cadence of published `prediction_complete` events: each symbol that received ticks since the last round gets one forecast per round.',
    ),
  PREDICTION_HORIZON_S: envPositiveInt('a positive number of seconds')
    .default(60)
    .describe('Horizon of published forecasts, and of requests that leave horizon_seconds at 0.'),
  PREDICTION_MAX_HORIZON_S: envPositiveInt('a positive number of seconds')
    .default(86400)
    .describe('Largest horizon a request may ask for; beyond it the answer is OUT_OF_RANGE.'),
  PREDICTION_INTERVAL_LEVEL: z
    .enum(Object.keys(INTERVAL_Z) as [string, ...string[]], { error: `expected one of ${Object.keys(INTERVAL_Z).join('|')}` })
    .default('0.95')
    .describe('Probability of the prediction interval.'),
  PREDICTION_HISTORY_MAX_TICKS: envPositiveInt('a positive number of ticks')
    .default(20000)
    .describe(
      'Ticks kept per symbol in the database for training, backtests and rebuilding models after a restart; older ones are pruned.',
    ),
  PREDICTION_MAX_VERSIONS_PER_SYMBOL: envPositiveInt('a positive number of model versions')
    .default(100)
    .describe(
      'Model versions kept per symbol: creating one deletes those older than the newest this many that never served (a version ever deployed is kept, so rollbacks and the deployment history still find it). Trainings at the rate limit made about 400,000 a day, each listed by ListModelVersions without a limit.',
    ),
  PREDICTION_MAX_BACKTESTS_PER_SYMBOL: envPositiveInt('a positive number of backtests')
    .default(100)
    .describe(
      'Finished backtests kept per symbol: starting one deletes finished ones older than the newest this many (GetBacktest then answers NOT_FOUND for them). A running backtest is never deleted.',
    ),
  PREDICTION_OUTBOX_RETRY_MS: envPositiveInt('a positive number of milliseconds')
    .default(2000)
    .describe(
      'How often model_trained / model_deployed / backtest_complete events still in the outbox (bus away, or a restart before they went out) are published again.',
    ),
  PREDICTION_BACKTEST_LEASE_MS: envPositiveInt('a positive number of milliseconds')
    .default(30000)
    .describe(
      'How long a running backtest stays claimed by the instance computing it without that instance renewing the claim (it renews every third of this). At start-up and on each renewal an instance marks failed, as interrupted, the running backtests of others whose claim is older: their instance stopped or crashed. Keep it well above a database hiccup; GetBacktest shows an interrupted backtest as failed at most about this long after its instance went away.',
    ),
  PREDICTION_CONSUMER_GROUP: z
    .string()
    .min(1, { error: 'expected a non-empty group id' })
    .default('prediction')
    .describe('Kafka consumer group of the tick consumer; its committed offsets are where a restart resumes.'),
});

export type PredictionConfig = z.output<typeof predictionConfigSchema>;

export function loadConfig(env: EnvSource = process.env): PredictionConfig {
  return loadFromEnv(predictionConfigSchema, env);
}
