export { metricsRegistry, counter, gauge, histogram, LATENCY_BUCKETS } from './registry';
export { startMetricsServer, type MetricsServerHandle, type MetricsServerOptions } from './metrics_server';
export { metricsConfigShape, DEFAULT_METRICS_PORTS } from './metrics_config';
export { grpcServerMetricsInterceptor, grpcClientMetricsInterceptor } from './grpc_metrics';
export { busMetrics, type BusMetrics, type ConsumeOutcome } from './bus_metrics';
export { deadLetterMetrics, type DeadLetterMetrics } from './dead_letter_metrics';
export { dbQueryMetrics, type QueryObserver } from './db_metrics';
export {
  webhookDeliveryMetrics,
  registerWebhookQueueMetrics,
  type WebhookAttemptFigures,
  type WebhookDeliveryMetrics,
  type WebhookQueueFigures,
} from './webhook_metrics';
export { registerProviderMetrics, PROVIDER_STATUSES, type ProviderFigures } from './provider_metrics';
export { registerWebSocketMetrics, type WebSocketFigures } from './websocket_metrics';
export { eventAgeMetrics } from './event_age_metrics';
export { alertMetrics, providerCheckMetrics, type AlertMetrics } from './domain_metrics';
export { registerHealthMetrics, type HealthFigures } from './health_metrics';
