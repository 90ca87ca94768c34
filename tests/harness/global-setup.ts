import type { TestProject } from 'vitest/node';
import { LOOPBACK, pgAdminUrlFor, serverDir, serverPort, type ServerName } from './config';
import { dockerAvailable, startKafkaContainer, startPostgresContainer, type StartedServer } from './containers';
import { KAFKA_BROKERS_ENV, newRunId, PG_ADMIN_URL_ENV } from './context';
import { dropRunDatabases, dropStaleDatabases } from './databases';
import { messageOf } from './errors';
import { clearMarker, releaseLease, runInfraScript, takeLease } from './local_servers';
import { fromRepo } from './paths';
import { portAnswers } from './ports';
import { waitForKafkaReady, waitForPostgresReady } from './readiness';
import { deleteRunTopics, deleteStaleTopics } from './topics';

/**
 * Brings Kafka and PostgreSQL up once per `vitest run` and hands their addresses to the tests
 * (inject('mpKafkaBrokers'), inject('mpPgAdminUrl'); also KAFKA_BROKERS and MP_TEST_PG_ADMIN_URL).
 * Order of preference for each: an address given by env; a server already answering on the
 * configured port (reused, never stopped); a container when a Docker engine answers; else
 * infra/<name>/start.sh. Only what this run started is stopped at teardown. See config.ts.
 */
const REUSE_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 60_000;

type Mode = 'docker' | 'local';

interface Provided {
  address: string;
  stop?: () => Promise<void>;
}

function log(message: string): void {
  process.stderr.write(`[test-infra] ${message}\n`);
}

async function chooseMode(): Promise<Mode> {
  const wanted = process.env.MP_TEST_INFRA ?? 'auto';
  if (wanted === 'docker' || wanted === 'local') return wanted;
  if (wanted !== 'auto') throw new Error(`MP_TEST_INFRA=${wanted}: use auto, docker or local`);
  return (await dockerAvailable()) ? 'docker' : 'local';
}

interface ServerPlan {
  name: ServerName;
  envAddress?: string;
  addressFor(port: number): string;
  waitReady(address: string, timeoutMs: number, hint: string): Promise<void>;
  startContainer(): Promise<StartedServer<string>>;
}

const KAFKA: ServerPlan = {
  name: 'kafka',
  envAddress: process.env[KAFKA_BROKERS_ENV],
  addressFor: (port) => `${LOOPBACK}:${port}`,
  waitReady: (address, timeoutMs, hint) => waitForKafkaReady(address, { timeoutMs, hint }),
  startContainer: startKafkaContainer,
};

const POSTGRES: ServerPlan = {
  name: 'postgres',
  envAddress: process.env[PG_ADMIN_URL_ENV],
  addressFor: (port) => pgAdminUrlFor(LOOPBACK, port),
  waitReady: (address, timeoutMs, hint) => waitForPostgresReady(address, { timeoutMs, hint }),
  startContainer: startPostgresContainer,
};

async function provideServer(plan: ServerPlan, mode: Mode): Promise<Provided> {
  if (plan.envAddress) {
    await plan.waitReady(plan.envAddress, REUSE_TIMEOUT_MS, 'it was given by the environment, so the harness starts none');
    log(`${plan.name}: using ${plan.envAddress} from the environment`);
    return { address: plan.envAddress };
  }
  const port = serverPort(plan.name);
  const address = plan.addressFor(port);
  const logHint = `see ${fromRepo(serverDir(plan.name, port))}/server.log`;
  // A lease (local mode) keeps another run from stopping a shared server while this one uses it.
  if (mode === 'local') takeLease(plan.name);
  if (await portAnswers(LOOPBACK, port)) {
    await plan.waitReady(address, REUSE_TIMEOUT_MS, `something listens on ${LOOPBACK}:${port} but does not answer as ${plan.name}`);
    log(`${plan.name}: reusing the server on ${LOOPBACK}:${port}`);
    return { address };
  }
  if (mode === 'docker') {
    log(`${plan.name}: starting a container`);
    const started = await plan.startContainer();
    await plan.waitReady(started.address, START_TIMEOUT_MS, 'the container started but does not answer');
    return started;
  }
  await runInfraScript(plan.name, 'start', port);
  await plan.waitReady(address, START_TIMEOUT_MS, logHint);
  return { address };
}

async function stopLocal(name: ServerName): Promise<void> {
  if (!releaseLease(name)) return;
  await runInfraScript(name, 'stop', serverPort(name));
  clearMarker(name);
}

async function bestEffort(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    log(`warning: ${what} failed: ${messageOf(err)}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = newRunId();
  const mode = await chooseMode();
  // Zipkin is started lazily by ensureZipkin() (always with its script, Docker or not); the lease
  // lets this run's teardown stop it.
  takeLease('zipkin');

  const teardowns: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const fn of teardowns.reverse()) await fn();
  };
  const results = await Promise.allSettled([provideServer(KAFKA, mode), provideServer(POSTGRES, mode)]);
  for (const [plan, result] of [
    [KAFKA, results[0]],
    [POSTGRES, results[1]],
  ] as const) {
    if (mode === 'local') teardowns.push(() => bestEffort(`stopping ${plan.name}`, () => stopLocal(plan.name)));
    else if (result.status === 'fulfilled' && result.value.stop) teardowns.push(result.value.stop);
  }
  teardowns.push(() => bestEffort('stopping zipkin', () => stopLocal('zipkin')));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await teardown();
    throw failure.reason;
  }
  const [brokers, pgAdminUrl] = results.map((r) => (r as PromiseFulfilledResult<Provided>).value.address);

  project.provide('mpKafkaBrokers', brokers);
  project.provide('mpPgAdminUrl', pgAdminUrl);
  project.provide('mpRunId', runId);
  process.env[KAFKA_BROKERS_ENV] = brokers;
  process.env[PG_ADMIN_URL_ENV] = pgAdminUrl;

  await bestEffort('dropping databases of earlier runs', () => dropStaleDatabases(pgAdminUrl));
  await bestEffort('deleting topics of earlier runs', () => deleteStaleTopics(brokers));
  // Queued last so they run first: teardown runs the list in reverse, servers stop after.
  teardowns.push(
    () => bestEffort("deleting this run's topics", () => deleteRunTopics(brokers, runId)),
    () => bestEffort("dropping this run's databases", () => dropRunDatabases(pgAdminUrl, runId)),
  );
  return teardown;
}
