import type * as grpc from '@grpc/grpc-js';
import { prediction } from '@marketpulse/proto';
import { createClient, type CreateClientOptions } from '@marketpulse/runtime';

/** PredictionService with promises for the unary calls; `raw` is the generated client (for StreamPredictions). */
export interface PredictionApi {
  raw: prediction.PredictionServiceClient;
  getPrediction(req: prediction.GetPredictionRequest): Promise<prediction.GetPredictionResponse>;
  trainModel(req: prediction.TrainModelRequest): Promise<prediction.TrainModelResponse>;
  deployModel(req: prediction.DeployModelRequest): Promise<prediction.DeployModelResponse>;
  rollbackModel(req: prediction.RollbackModelRequest): Promise<prediction.RollbackModelResponse>;
  listModelVersions(req: prediction.ListModelVersionsRequest): Promise<prediction.ListModelVersionsResponse>;
  runBacktest(req: prediction.RunBacktestRequest): Promise<prediction.RunBacktestResponse>;
  getBacktest(req: prediction.GetBacktestRequest): Promise<prediction.GetBacktestResponse>;
  close(): void;
}

type Callback<Res> = (err: grpc.ServiceError | null, res?: Res) => void;

const promised =
  <Req, Res>(call: (req: Req, cb: Callback<Res>) => unknown) =>
  (req: Req) =>
    new Promise<Res>((resolve, reject) => call(req, (err, res) => (err ? reject(err) : resolve(res!))));

/** A client of the prediction service at `address` (host:port), with the runtime's default deadline. */
export function predictionClient(address: string, options: CreateClientOptions = {}): PredictionApi {
  const raw = createClient(prediction.PredictionServiceClient, address, options);
  return {
    raw,
    getPrediction: promised((r: prediction.GetPredictionRequest, cb: Callback<prediction.GetPredictionResponse>) =>
      raw.getPrediction(r, cb),
    ),
    trainModel: promised((r: prediction.TrainModelRequest, cb: Callback<prediction.TrainModelResponse>) => raw.trainModel(r, cb)),
    deployModel: promised((r: prediction.DeployModelRequest, cb: Callback<prediction.DeployModelResponse>) => raw.deployModel(r, cb)),
    rollbackModel: promised((r: prediction.RollbackModelRequest, cb: Callback<prediction.RollbackModelResponse>) =>
      raw.rollbackModel(r, cb),
    ),
    listModelVersions: promised((r: prediction.ListModelVersionsRequest, cb: Callback<prediction.ListModelVersionsResponse>) =>
      raw.listModelVersions(r, cb),
    ),
    runBacktest: promised((r: prediction.RunBacktestRequest, cb: Callback<prediction.RunBacktestResponse>) => raw.runBacktest(r, cb)),
    getBacktest: promised((r: prediction.GetBacktestRequest, cb: Callback<prediction.GetBacktestResponse>) => raw.getBacktest(r, cb)),
    close: () => raw.close(),
  };
}
