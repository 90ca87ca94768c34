import type * as grpc from '@grpc/grpc-js';
import { alerting, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { createClient } from '@marketpulse/runtime';
import { callUnary, type UnaryMethod, type UnaryTarget } from './grpc_call';

export interface ServiceHandle<C extends grpc.Client> {
  client: C;
  target: UnaryTarget;
}

/** gRPC clients of the five services the API's procedures call. */
export interface ServiceClients {
  marketData: ServiceHandle<market.MarketDataServiceClient>;
  prediction: ServiceHandle<prediction.PredictionServiceClient>;
  alerting: ServiceHandle<alerting.AlertingServiceClient>;
  webhooks: ServiceHandle<webhooks.WebhookServiceClient>;
  providerMonitor: ServiceHandle<providers.ProviderMonitorServiceClient>;
}

export interface ServiceAddresses {
  marketData: string;
  prediction: string;
  alerting: string;
  webhooks: string;
  providerMonitor: string;
}

export function createServiceClients(addresses: ServiceAddresses, deadlineMs: number): ServiceClients & { close(): void } {
  const handle = <C extends grpc.Client>(
    Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ClientOptions>) => C,
    service: string,
    address: string,
  ): ServiceHandle<C> => ({ client: createClient(Ctor, address, { deadlineMs }), target: { service, address, deadlineMs } });
  const clients: ServiceClients = {
    marketData: handle(market.MarketDataServiceClient, 'market-data', addresses.marketData),
    prediction: handle(prediction.PredictionServiceClient, 'prediction', addresses.prediction),
    alerting: handle(alerting.AlertingServiceClient, 'alerting', addresses.alerting),
    webhooks: handle(webhooks.WebhookServiceClient, 'webhook-delivery', addresses.webhooks),
    providerMonitor: handle(providers.ProviderMonitorServiceClient, 'provider-monitor', addresses.providerMonitor),
  };
  return {
    ...clients,
    close: () => {
      for (const h of Object.values(clients) as ServiceHandle<grpc.Client>[]) h.client.close();
    },
  };
}

/** `call(services.webhooks, (c) => c.getEndpoint, { id, user_id })`: a unary call with the service's deadline. */
export function call<C extends grpc.Client, Req, Res>(
  handle: ServiceHandle<C>,
  pick: (client: C) => UnaryMethod<Req, Res>,
  request: Req,
): Promise<Res> {
  return callUnary(handle.target, pick(handle.client).bind(handle.client), request);
}
