export { checkWithTimeout, type ComponentHealth, type HealthComponent } from './component_health';
export {
  HealthMonitor,
  type ComponentStatus,
  type HealthMonitorOptions,
  type HealthSnapshot,
  type OverallStatus,
  type ServingStatusSink,
} from './health_monitor';
export { grpcHealthProbe, type GrpcHealthProbe } from './grpc_health_probe';
export { serveHealth, HEALTH_PATHS, type HealthRoutesOptions } from './health_routes';
