// The test harness for suites under tests/ and services' integration tests. The run's servers
// come from global-setup.ts (tests/vitest.config.ts); these helpers give each suite its own slice.
export { kafkaBrokers, pgAdminUrl, runId } from './context';
export { createTestDatabase, type TestDatabase } from './databases';
export { HarnessError, type HarnessErrorCode } from './errors';
export { freePort, portAnswers } from './ports';
export { runInfraScript } from './local_servers';
export { removeOwnServer, spareKafkaPort } from './own_servers';
export { startProcess, stopAllProcesses, type ExitInfo, type ManagedProcess, type StartProcessOptions } from './process';
export { waitForProcessOutput } from './process_output';
export {
  startSuiteProcess,
  SUITE_HOOK_TIMEOUT_MS,
  SUITE_MAIN,
  SUITE_PORT_VARIABLES,
  type StartSuiteOptions,
  type SuitePortVariable,
  type SuiteProcess,
} from './suite_process';
export { waitForHttpReady, waitForKafkaReady, waitForPostgresReady, type ReadinessOptions } from './readiness';
export { sliceServiceEnv, unary } from './service_slice';
export { testKafkaBus, tickEvent, type TestBusOptions, type TickOptions } from './test_events';
export { uniqueTopicPrefix } from './topics';
export { waitFor, type WaitOptions } from './wait';
export { ensureZipkin } from './zipkin';
export { REPO_ROOT } from './paths';
