import type { prediction } from '@marketpulse/proto';
import * as grpc from '@grpc/grpc-js';
import { AppError, readGrpcError, type ComponentHealth } from '@marketpulse/runtime';
import type { ServiceHandle } from './api/service_clients';
import type { GetPrediction } from './ws/doors/predictions';

export interface PredictionClient {
  getPrediction: GetPrediction;
  health(): Promise<ComponentHealth>;
}

/** Statuses that say the request was wrong (its message is written for the caller); any other is the service's trouble. */
const CALLER_ERRORS = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.OUT_OF_RANGE,
  grpc.status.NOT_FOUND,
  grpc.status.FAILED_PRECONDITION,
]);

/** A GetPrediction failure as the door tells it: the service's reason and message for a wrong request, nothing internal otherwise. */
function predictionFailure(err: unknown): AppError {
  const e = readGrpcError(err);
  if (CALLER_ERRORS.has(e.code))
    return new AppError(e.code, /^[A-Z][A-Z0-9_]{0,62}$/.test(e.reason) ? e.reason : 'INVALID_ARGUMENT', e.message, {
      violations: e.violations,
      cause: err,
    });
  return new AppError(grpc.status.UNAVAILABLE, 'PREDICTION_UNAVAILABLE', 'the prediction service could not answer; try again shortly', {
    cause: err,
  });
}

/**
 * The predictions door's view of the gateway's one prediction client (openServiceClients): its
 * GetPrediction with the door's errors, and its reachability for /health. Closed with the others.
 */
export function createPredictionClient(handle: ServiceHandle<prediction.PredictionServiceClient>): PredictionClient {
  const { client } = handle;
  const { address } = handle.target;
  return {
    getPrediction: (symbol, horizonSeconds) =>
      new Promise((resolve, reject) => {
        client.getPrediction({ symbol, horizon_seconds: horizonSeconds }, (err, res) => {
          if (err) return reject(predictionFailure(err));
          if (!res.prediction) return reject(new Error(`prediction service returned no prediction for ${symbol}`));
          resolve(res.prediction as unknown as { id: string } & Record<string, unknown>);
        });
      }),
    health: () =>
      new Promise((resolve) => {
        client.waitForReady(Date.now() + 1000, (err) =>
          resolve(
            err
              ? { ok: false, detail: `prediction service at ${address} unreachable: ${err.message}` }
              : { ok: true, detail: `connected to ${address}` },
          ),
        );
      }),
  };
}
