import { prediction } from '@marketpulse/proto';
import { createClient, readGrpcError, type ComponentHealth } from '@marketpulse/runtime';
import type { GetPrediction } from './ws/doors/predictions';

export interface PredictionClient {
  getPrediction: GetPrediction;
  health(): Promise<ComponentHealth>;
  close(): void;
}

/** The prediction service over gRPC, as the predictions door and /health need it. */
export function createPredictionClient(address: string): PredictionClient {
  const client = createClient(prediction.PredictionServiceClient, address);
  return {
    getPrediction: (symbol, horizonSeconds) =>
      new Promise((resolve, reject) => {
        client.getPrediction({ symbol, horizon_seconds: horizonSeconds }, (err, res) => {
          if (err) {
            const e = readGrpcError(err);
            return reject(new Error(`${e.appCode}: ${e.message}`));
          }
          if (!res.prediction) return reject(new Error(`prediction service returned no prediction for ${symbol}`));
          resolve(res.prediction as unknown as { id: string } & Record<string, unknown>);
        });
      }),
    health: () =>
      new Promise((resolve) => {
        client.waitForReady(Date.now() + 1000, (err) =>
          resolve(err ? { ok: false, detail: `prediction service at ${address} unreachable: ${err.message}` } : { ok: true, detail: `connected to ${address}` }),
        );
      }),
    close: () => client.close(),
  };
}
