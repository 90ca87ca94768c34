import { prediction } from '@marketpulse/proto';
import {
  assertValid,
  checkCount,
  checkId,
  checkSymbol,
  checkText,
  checkTimestamp,
  DEFAULT_STREAM_BUFFER_MESSAGES,
  sendUntilClosed,
  serveGrpc,
  type FieldViolation,
  type GrpcHandlers,
  type GrpcServiceRegistration,
  type Logger,
} from '@marketpulse/runtime';
import { toProtoBacktest, toProtoDeployment, toProtoModelVersion, toProtoPrediction } from '../proto_mapping';
import { predictionErrors } from '../errors';
import type { PredictionFeed } from '../feed';
import type { ModelLifecycle } from '../lifecycle/lifecycle';
import type { Predictor } from '../predictor';
import type { TimeRange } from '../store/store';

export interface PredictionServiceDeps {
  predictor: Predictor;
  lifecycle: ModelLifecycle;
  feed: PredictionFeed;
  logger: Logger;
  /** GRPC_STREAM_BUFFER_MESSAGES: forecasts a StreamPredictions reader may leave unread before its stream ends (SLOW_CONSUMER). */
  streamBuffer?: number;
}

const MAX_STREAM_SYMBOLS = 1000;
const MAX_PARAMETERS = 16;

/** Refuses the request with every invalid field at once (reason INVALID_FIELD). */
const valid = (...checks: FieldViolation[][]) => assertValid(checks, { reason: 'INVALID_FIELD', domain: predictionErrors.domain });
const symbolCheck = (symbol: string, field = 'symbol') => checkSymbol(symbol, { field, required: true });
const versionCheck = (version: string, field: string) => checkText(version, { field, max: 64 });
const byCheck = (by: string) => checkText(by, { field: 'requested_by', max: 128 });

function parameterChecks(parameters: Record<string, string>): FieldViolation[] {
  const entries = Object.entries(parameters);
  return [
    ...checkCount(entries, { field: 'parameters', max: MAX_PARAMETERS }),
    ...entries
      .slice(0, MAX_PARAMETERS)
      .flatMap(([k, v]) => [
        ...checkText(k, { field: 'parameters (key)', max: 32 }),
        ...checkText(v, { field: `parameters.${k.slice(0, 32)}`, max: 64 }),
      ]),
  ];
}

/** The PredictionService, served by the runtime's one handler wrapper. */
export function predictionService(deps: PredictionServiceDeps): GrpcServiceRegistration {
  const { predictor, lifecycle, feed } = deps;

  const handlers: GrpcHandlers<prediction.PredictionServiceServer> = {
    getPrediction: (req) => {
      valid(symbolCheck(req.symbol));
      const horizon = predictor.horizon(req.horizon_seconds);
      return { prediction: toProtoPrediction(predictor.predict(req.symbol, horizon)) };
    },

    streamPredictions: (request, call) => {
      valid(
        checkCount(request.symbols, { field: 'symbols', max: MAX_STREAM_SYMBOLS }),
        ...request.symbols.slice(0, MAX_STREAM_SYMBOLS).map((s, i) => symbolCheck(s, `symbols[${i}]`)),
      );
      const bound = {
        limit: deps.streamBuffer ?? DEFAULT_STREAM_BUFFER_MESSAGES,
        catchUp: 'ask for the current forecast with GetPrediction',
      };
      return sendUntilClosed(call, bound, (send) => feed.subscribe(request.symbols, (p) => send({ prediction: toProtoPrediction(p) })));
    },

    trainModel: async (req, call) => {
      valid(
        symbolCheck(req.symbol),
        checkText(req.algorithm, { field: 'algorithm', max: 32 }),
        parameterChecks(req.parameters),
        checkTimestamp(req.training_start, { field: 'training_start' }),
        checkTimestamp(req.training_end, { field: 'training_end' }),
        checkText(req.description, { field: 'description', max: 1000, multiline: true }),
      );
      return {
        model: toProtoModelVersion(
          await lifecycle.train({
            symbol: req.symbol,
            algorithm: req.algorithm,
            parameters: req.parameters,
            range: timeRange(req.training_start, req.training_end),
            description: req.description,
            // grpc-js marks a call cancelled when its caller cancels or its deadline passes.
            wanted: () => !call.cancelled,
          }),
        ),
      };
    },

    deployModel: async (req) => {
      valid(symbolCheck(req.symbol), versionCheck(req.version, 'version'), byCheck(req.requested_by));
      return { deployment: toProtoDeployment(await lifecycle.deploy(req.symbol, req.version, req.requested_by)) };
    },

    rollbackModel: async (req) => {
      valid(symbolCheck(req.symbol), versionCheck(req.version, 'version'), byCheck(req.requested_by));
      return { deployment: toProtoDeployment(await lifecycle.rollback(req.symbol, req.version, req.requested_by)) };
    },

    listModelVersions: async (req) => {
      valid(symbolCheck(req.symbol));
      return { models: (await lifecycle.listVersions(req.symbol, req.limit)).map(toProtoModelVersion) };
    },

    runBacktest: async (req) => {
      valid(
        symbolCheck(req.symbol),
        versionCheck(req.model_version, 'model_version'),
        checkTimestamp(req.start_time, { field: 'start_time' }),
        checkTimestamp(req.end_time, { field: 'end_time' }),
      );
      return {
        backtest: toProtoBacktest(
          await lifecycle.startBacktest({
            symbol: req.symbol,
            version: req.model_version,
            range: timeRange(req.start_time, req.end_time),
            horizonS: predictor.horizon(req.horizon_seconds),
          }),
        ),
      };
    },

    getBacktest: async (req) => {
      valid(checkId(req.id, { field: 'id', max: 64 }));
      return { backtest: toProtoBacktest(await lifecycle.getBacktest(req.id)) };
    },
  };
  return serveGrpc<prediction.PredictionServiceServer>(prediction.PredictionServiceService, handlers, { logger: deps.logger });
}

function timeRange(start: string | undefined, end: string | undefined): TimeRange {
  return { fromMs: start === undefined ? undefined : Date.parse(start), toMs: end === undefined ? undefined : Date.parse(end) };
}
