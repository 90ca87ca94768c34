import type * as grpc from '@grpc/grpc-js';
import { alerting, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { createClient } from '@marketpulse/runtime';
import type { ServiceClients, ServiceHandle } from './api/service_clients';

export interface ServiceAddresses {
  marketData: string;
  prediction: string;
  alerting: string;
  webhooks: string;
  providerMonitor: string;
}

/**
 * The gateway's one gRPC client per service, each call with `deadlineMs` unless it sets its own:
 * the API's procedures and the predictions door share them.
 */
export function openServiceClients(addresses: ServiceAddresses, deadlineMs: number): ServiceClients & { close(): void } {
  const handle = <C extends grpc.Client>(
    Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ClientOptions>) => C,
    service: string,
    address: string,
  ): ServiceHandle<C> => ({
    // Own subchannels: the readiness probes' connections to the same addresses (refused while a
    // service is still starting, then in reconnect backoff) must not fail the API's calls fast.
    client: createClient(Ctor, address, { deadlineMs, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
    target: { service, address, deadlineMs },
  });
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
