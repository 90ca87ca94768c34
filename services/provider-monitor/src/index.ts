export { startProviderMonitor, type ProviderMonitorDeps, type ProviderMonitorHandle } from './service';
export { providerMonitorConfigSchema, loadConfig, type ProviderMonitorConfig } from './config';
export { MonitorApi } from './monitor_api';
export { ProviderMonitor } from './monitor';
export { Scheduler, type JobDefinition, type JobStatus } from './scheduler/scheduler';
export { providerMonitorErrors, type ProviderMonitorReason } from './errors';
