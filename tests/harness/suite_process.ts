import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kafkaBrokers } from './context';
import { freePort } from './ports';
import { REPO_ROOT } from './paths';
import { startProcess, type ExitInfo, type ManagedProcess } from './process';
import { waitForProcessOutput } from './process_output';

/** The one-process suite, from dist, started exactly as `pnpm start` starts it (build first). */
export const SUITE_MAIN = path.join(REPO_ROOT, 'suite/dist/main.js');
const TELEMETRY_REGISTER = path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');

/** Every port the suite listens on, by the variable that sets it: each gets a free port. */
export const SUITE_PORT_VARIABLES = [
  'GATEWAY_PORT',
  'PUBLISH_GRPC_PORT',
  'MARKET_DATA_GRPC_PORT',
  'PREDICTION_GRPC_PORT',
  'ALERTING_GRPC_PORT',
  'WEBHOOK_GRPC_PORT',
  'PROVIDER_MONITOR_GRPC_PORT',
  'METRICS_PORT',
] as const;
export type SuitePortVariable = (typeof SUITE_PORT_VARIABLES)[number];

/**
 * How long the suite may take to print its URLs. Generous on purpose: on a loaded machine each
 * part's PGlite opens in tens of seconds and, on a shared broker, its consumer groups take minutes
 * to settle. A suite that exits instead fails at once (waitForProcessOutput).
 */
export const SUITE_START_TIMEOUT_MS = 280_000;
/** The timeout of a beforeAll that starts the suite: its start plus some room for the rest. */
export const SUITE_HOOK_TIMEOUT_MS = SUITE_START_TIMEOUT_MS + 60_000;

export interface StartSuiteOptions {
  /** Names the log file and the temporary data folder. */
  label: string;
  /** Kafka topic prefix (e.g. uniqueTopicPrefix(label)): the suite runs on the run's broker. Without it, BUS=memory. */
  kafkaTopicPrefix?: string;
  /** PostgreSQL URL (e.g. createTestDatabase(label).url). Without it, embedded PGlite in a temporary folder removed by stop(). */
  databaseUrl?: string;
  /** Added to (or, as undefined, removed from) the environment; wins over the defaults. */
  env?: Record<string, string | undefined>;
  /** When the suite counts as started (default: it printed "Marketpulse is running"). */
  ready?: (output: string) => boolean;
}

export interface SuiteProcess {
  readonly process: ManagedProcess;
  readonly ports: Readonly<Record<SuitePortVariable, number>>;
  /** http://127.0.0.1:<GATEWAY_PORT> */
  readonly base: string;
  /** ws://127.0.0.1:<GATEWAY_PORT> */
  readonly ws: string;
  /** http://127.0.0.1:<METRICS_PORT>/metrics */
  readonly metricsUrl: string;
  /** The PGlite folder (without `databaseUrl`): mint-token and a second process may read it. */
  readonly dataDir: string | undefined;
  /** "127.0.0.1:<port>" of one of its listeners (a gRPC client's address). */
  address(variable: SuitePortVariable): string;
  /** Stops the process and removes its PGlite folder, if it had one. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

/**
 * Starts every service and the gateway in one process (suite/) on free ports, with traces
 * off and warn-level logs unless `env` says otherwise, and resolves once it has printed its URLs.
 * Rejects at once, with its log file named, if it exits first.
 */
export async function startSuiteProcess(options: StartSuiteOptions): Promise<SuiteProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      // freePort() probes and lets go: another process may take a port before the suite listens on
      // it. Such a start is retried on new ports, a couple of times; any other failure is final.
      if (!(err instanceof PortTaken) || attempt > PORT_TAKEN_RETRIES) throw err instanceof PortTaken ? err.cause : err;
    }
  }
}

const PORT_TAKEN_RETRIES = 2;

class PortTaken extends Error {}

async function startOnce(options: StartSuiteOptions): Promise<SuiteProcess> {
  const ports = {} as Record<SuitePortVariable, number>;
  for (const name of SUITE_PORT_VARIABLES) ports[name] = await freePort();
  const dataDir = options.databaseUrl === undefined ? mkdtempSync(path.join(tmpdir(), `mp-${options.label}-`)) : undefined;
  const bus =
    options.kafkaTopicPrefix === undefined
      ? { BUS: 'memory' }
      : { BUS: 'kafka', KAFKA_BROKERS: kafkaBrokers(), KAFKA_TOPIC_PREFIX: options.kafkaTopicPrefix };
  const proc = startProcess(
    process.execPath,
    ['--require', TELEMETRY_REGISTER, SUITE_MAIN],
    {
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      ...bus,
      DATABASE_URL: options.databaseUrl,
      PGLITE_DIR: dataDir,
      OTEL_TRACES_EXPORTER: 'none',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    { label: options.label },
  );
  const removeData = () => dataDir !== undefined && rmSync(dataDir, { recursive: true, force: true });
  const ready = options.ready ?? ((output: string) => output.includes('Marketpulse is running'));
  try {
    await waitForProcessOutput(proc, ready, { timeoutMs: SUITE_START_TIMEOUT_MS, what: 'the suite to print its URLs' });
  } catch (err) {
    await proc.stop();
    removeData();
    throw proc.output().includes('EADDRINUSE') ? new PortTaken('a port was taken', { cause: err }) : err;
  }
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  return {
    process: proc,
    ports,
    base,
    ws: `ws://127.0.0.1:${ports.GATEWAY_PORT}`,
    metricsUrl: `http://127.0.0.1:${ports.METRICS_PORT}/metrics`,
    dataDir,
    address: (variable) => `127.0.0.1:${ports[variable]}`,
    async stop(graceMs?: number) {
      const exit = await proc.stop(graceMs);
      removeData();
      return exit;
    },
  };
}
