export { metricsRegistry, counter, gauge, histogram, LATENCY_BUCKETS } from './registry';
export { startMetricsServer, type MetricsServerHandle, type MetricsServerOptions } from './metrics_server';
export { metricsConfigShape, DEFAULT_METRICS_PORTS } from './metrics_config';
export { grpcServerMetricsInterceptor, grpcClientMetricsInterceptor } from './grpc_metrics';
export { busMetrics, type BusMetrics, type ConsumeOutcome } from './bus_metrics';
export { dbQueryMetrics, type QueryObserver } from './db_metrics';
export { webhookDeliveryMetrics, type WebhookAttemptFigures, type WebhookDeliveryMetrics } from './webhook_metrics';
export { registerProviderMetrics, PROVIDER_STATUSES, type ProviderFigures } from './provider_metrics';
export { registerWebSocketMetrics, type WebSocketFigures } from './websocket_metrics';
