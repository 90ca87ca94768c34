export { runService, type RunServiceOptions, type RunnableConfig } from './run_service';
export { ServiceScope, startInServiceScope, type CloseStep, type ServiceScopeConfig, type ServiceScopeDeps } from './service_scope';
