export { metricsRegistry, counter, gauge, histogram, LATENCY_BUCKETS } from './registry';
export { startMetricsServer, type MetricsServerHandle, type MetricsServerOptions } from './metrics_server';
export { metricsConfigShape } from './metrics_config';
export { openEventLoopDelayWindow, setEventLoopSampleMs, type EventLoopDelayWindow } from './event_loop_delay';
export { grpcServerMetricsInterceptor, grpcClientMetricsInterceptor } from './grpc_metrics';
export { busMetrics, type BusMetrics, type ConsumeOutcome } from './bus_metrics';
export { deadLetterMetrics, type DeadLetterMetrics } from './dead_letter_metrics';
export { dbQueryMetrics, type QueryObserver } from './db_metrics';
export { registerHealthMetrics, type HealthFigures } from './health_metrics';
