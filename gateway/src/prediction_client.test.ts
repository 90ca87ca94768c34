import * as grpc from '@grpc/grpc-js';
import { prediction } from '@marketpulse/proto';
import { AppError, invalidArgument, toServiceError } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceClients } from './open_service_clients';
import { createPredictionClient } from './prediction_client';

/** The door's client over the gateway's service clients, every one at `address`. */
function predictionClientAt(address: string) {
  const services = openServiceClients(
    { marketData: address, prediction: address, alerting: address, webhooks: address, providerMonitor: address },
    5000,
  );
  return { ...createPredictionClient(services.prediction), close: services.close };
}

// What the predictions door tells a client about a failed request_prediction: the service's
// reason and message when the request was wrong, nothing of the service's text (addresses) otherwise.
describe('createPredictionClient failures', () => {
  let server: grpc.Server;
  let port: number;

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(prediction.PredictionServiceService, {
      getPrediction: (call: grpc.ServerUnaryCall<prediction.GetPredictionRequest, unknown>, cb: (err: grpc.ServiceError) => void) =>
        cb(
          call.request.symbol === 'BAD'
            ? toServiceError(
                invalidArgument(
                  'PREDICTION_SYMBOL_INVALID',
                  'symbol "BAD" is not traded',
                  [{ field: 'symbol', description: 'unknown symbol' }],
                  { domain: 'prediction' },
                ),
              )
            : Object.assign(new Error('boom'), {
                code: grpc.status.INTERNAL,
                details: 'pg: relation "models" does not exist at 10.0.0.9:5432',
                metadata: new grpc.Metadata(),
              }),
        ),
    } as unknown as grpc.UntypedServiceImplementation);
    port = await new Promise((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });

  afterAll(() => server.forceShutdown());

  it("keeps a refused request's reason, message and violations", async () => {
    const client = predictionClientAt(`127.0.0.1:${port}`);
    const err = (await client.getPrediction('BAD', 60).catch((e: unknown) => e)) as AppError;
    client.close();
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: grpc.status.INVALID_ARGUMENT,
      reason: 'PREDICTION_SYMBOL_INVALID',
      message: 'symbol "BAD" is not traded',
    });
    expect(err.violations).toEqual([{ field: 'symbol', description: 'unknown symbol' }]);
  });

  it("hides a service failure's text and an unreachable service's address", async () => {
    const failing = predictionClientAt(`127.0.0.1:${port}`);
    const failed = (await failing.getPrediction('AAPL', 60).catch((e: unknown) => e)) as AppError;
    failing.close();
    expect(failed.reason).toBe('PREDICTION_UNAVAILABLE');
    expect(failed.message).not.toMatch(/relation|10\.0\.0\.9/);

    const gone = predictionClientAt('127.0.0.1:1');
    const down = (await gone.getPrediction('AAPL', 60).catch((e: unknown) => e)) as AppError;
    gone.close();
    expect(down.reason).toBe('PREDICTION_UNAVAILABLE');
    expect(down.message).not.toContain('127.0.0.1');
  });
});
