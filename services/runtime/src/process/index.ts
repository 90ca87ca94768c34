export { runService, type RunServiceOptions, type RunnableConfig } from './run_service';
