// The test harness for suites under tests/ and services' integration tests. The run's servers
// come from global-setup.ts (tests/vitest.config.ts); these helpers give each suite its own slice.
export { kafkaBrokers, pgAdminUrl, runId } from './context';
export { createTestDatabase, type TestDatabase } from './databases';
export { HarnessError, type HarnessErrorCode } from './errors';
export { freePort, portAnswers } from './ports';
export { runInfraScript } from './local_servers';
export { startProcess, stopAllProcesses, type ExitInfo, type ManagedProcess, type StartProcessOptions } from './process';
export { waitForHttpReady, waitForKafkaReady, waitForPostgresReady, type ReadinessOptions } from './readiness';
export { uniqueTopicPrefix } from './topics';
export { waitFor, type WaitOptions } from './wait';
export { ensureZipkin } from './zipkin';
export { REPO_ROOT } from './paths';
