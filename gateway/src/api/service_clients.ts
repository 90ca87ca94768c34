import type * as grpc from '@grpc/grpc-js';
import type { alerting, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { callUnary, type UnaryMethod, type UnaryTarget } from './grpc_call';

export interface ServiceHandle<C extends grpc.Client> {
  client: C;
  target: UnaryTarget;
}

/** gRPC clients of the five services the API's procedures call (the gateway opens them: openServiceClients). */
export interface ServiceClients {
  marketData: ServiceHandle<market.MarketDataServiceClient>;
  prediction: ServiceHandle<prediction.PredictionServiceClient>;
  alerting: ServiceHandle<alerting.AlertingServiceClient>;
  webhooks: ServiceHandle<webhooks.WebhookServiceClient>;
  providerMonitor: ServiceHandle<providers.ProviderMonitorServiceClient>;
}

/** `call(services.webhooks, (c) => c.getEndpoint, { id, user_id })`: a unary call with the service's deadline. */
export function call<C extends grpc.Client, Req, Res>(
  handle: ServiceHandle<C>,
  pick: (client: C) => UnaryMethod<Req, Res>,
  request: Req,
): Promise<Res> {
  return callUnary(handle.target, pick(handle.client).bind(handle.client), request);
}
