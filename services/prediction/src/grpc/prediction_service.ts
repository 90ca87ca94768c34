import * as grpc from '@grpc/grpc-js';
import { prediction } from '@marketpulse/proto';
import { grpcError, type Logger } from '@marketpulse/runtime';
import { toProtoBacktest, toProtoDeployment, toProtoModelVersion, toProtoPrediction } from '../convert';
import { PredictionError } from '../errors';
import type { PredictionFeed } from '../feed';
import type { ModelLifecycle } from '../lifecycle/lifecycle';
import type { Predictor } from '../predictor';
import type { TimeRange } from '../store/store';

export interface PredictionServiceDeps {
  predictor: Predictor;
  lifecycle: ModelLifecycle;
  feed: PredictionFeed;
  logger: Logger;
}

/** Forecasts a slow StreamPredictions client may have queued before newer ones are dropped for it. */
const STREAM_HIGH_WATER = 1000;

export function predictionServiceImplementation(deps: PredictionServiceDeps): prediction.PredictionServiceServer {
  const { predictor, lifecycle, feed } = deps;

  return {
    getPrediction: unary(deps.logger, async (req: prediction.GetPredictionRequest) => {
      if (!req.symbol) throw new PredictionError('MISSING_FIELD', 'INVALID_ARGUMENT', 'symbol is required', { field: 'symbol' });
      const horizon = predictor.horizon(req.horizon_seconds);
      return { prediction: toProtoPrediction(predictor.predict(req.symbol, horizon)) };
    }),

    streamPredictions: (call: grpc.ServerWritableStream<prediction.StreamPredictionsRequest, prediction.StreamPredictionsResponse>) => {
      let queued = 0;
      let dropped = 0;
      const unsubscribe = feed.subscribe(call.request.symbols, (p) => {
        if (queued >= STREAM_HIGH_WATER) {
          dropped++;
          return;
        }
        queued++;
        call.write({ prediction: toProtoPrediction(p) }, () => {
          queued--;
        });
      });
      const end = () => {
        unsubscribe();
        if (dropped > 0) deps.logger.warn({ dropped, symbols: call.request.symbols }, 'StreamPredictions client too slow: forecasts dropped');
      };
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },

    trainModel: unary(deps.logger, async (req: prediction.TrainModelRequest) => ({
      model: toProtoModelVersion(
        await lifecycle.train({
          symbol: req.symbol,
          algorithm: req.algorithm,
          parameters: req.parameters,
          range: timeRange(req.training_start, req.training_end),
          description: req.description,
        }),
      ),
    })),

    deployModel: unary(deps.logger, async (req: prediction.DeployModelRequest) => ({
      deployment: toProtoDeployment(await lifecycle.deploy(req.symbol, req.version, req.requested_by)),
    })),

    rollbackModel: unary(deps.logger, async (req: prediction.RollbackModelRequest) => ({
      deployment: toProtoDeployment(await lifecycle.rollback(req.symbol, req.version, req.requested_by)),
    })),

    listModelVersions: unary(deps.logger, async (req: prediction.ListModelVersionsRequest) => ({
      models: (await lifecycle.listVersions(req.symbol, req.limit)).map(toProtoModelVersion),
    })),

    runBacktest: unary(deps.logger, async (req: prediction.RunBacktestRequest) => ({
      backtest: toProtoBacktest(
        await lifecycle.startBacktest({
          symbol: req.symbol,
          version: req.model_version,
          range: timeRange(req.start_time, req.end_time),
          horizonS: predictor.horizon(req.horizon_seconds),
        }),
      ),
    })),

    getBacktest: unary(deps.logger, async (req: prediction.GetBacktestRequest) => ({
      backtest: toProtoBacktest(await lifecycle.getBacktest(req.id)),
    })),
  };
}

function timeRange(start: string | undefined, end: string | undefined): TimeRange {
  return { fromMs: start === undefined ? undefined : Date.parse(start), toMs: end === undefined ? undefined : Date.parse(end) };
}

/** A unary handler from an async function; PredictionErrors become their gRPC status, anything else INTERNAL. */
function unary<Req, Res>(logger: Logger, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(logger, err)),
    );
  };
}

/** Error codes of a database or broker that is away (node, PostgreSQL SQLSTATE class 08/57, runtime). */
const DEPENDENCY_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08000', '08001', '08006', 'DB_UNAVAILABLE', 'BUS_PUBLISH_FAILED']);

function toServiceError(logger: Logger, err: unknown): grpc.ServiceError {
  if (err instanceof PredictionError) return grpcError(grpc.status[err.status], err.message, { appCode: err.code, fields: err.fields });
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && DEPENDENCY_DOWN.has(code)) {
    logger.warn({ err }, 'request failed: dependency unavailable');
    return grpcError(grpc.status.UNAVAILABLE, 'the prediction service cannot reach its database or event bus right now; retry shortly', {
      appCode: 'DEPENDENCY_UNAVAILABLE',
    });
  }
  logger.error({ err }, 'request failed');
  return grpcError(grpc.status.INTERNAL, 'internal error in the prediction service; the server log has the details', { appCode: 'INTERNAL' });
}
