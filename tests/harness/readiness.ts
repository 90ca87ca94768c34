import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { HarnessError } from './errors';
import { waitFor } from './wait';

export interface ReadinessOptions {
  timeoutMs?: number;
  /** Appended to the failure message, e.g. "see .run/kafka/server.log". */
  hint?: string;
}

function unreachable(what: string, timeoutMs: number, hint: string | undefined, cause: unknown): HarnessError {
  const seconds = Math.round(timeoutMs / 100) / 10;
  const detail = cause instanceof Error ? ` (${cause.message.replace(/^\[WAIT_TIMEOUT\] /, '')})` : '';
  return new HarnessError('INFRA_UNREACHABLE', `${what} did not become ready within ${seconds}s${hint ? `; ${hint}` : ''}${detail}`, {
    cause,
  });
}

/** One attempt: connect an admin client and ask for the cluster's brokers. */
export async function kafkaAnswers(brokers: string, connectTimeoutMs = 1000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'marketpulse-test-probe',
    brokers: brokers.split(','),
    connectionTimeout: connectTimeoutMs,
    requestTimeout: 2 * connectTimeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Resolves once the broker list answers Kafka requests; throws INFRA_UNREACHABLE within timeoutMs. */
export async function waitForKafkaReady(brokers: string, { timeoutMs = 60_000, hint }: ReadinessOptions = {}): Promise<void> {
  try {
    await waitFor(() => kafkaAnswers(brokers), { timeoutMs, intervalMs: 250, what: `Kafka at ${brokers}` });
  } catch (err) {
    throw unreachable(`Kafka at ${brokers}`, timeoutMs, hint, err);
  }
}

/** One attempt: connect and run `SELECT 1`. */
export async function postgresAnswers(url: string, connectTimeoutMs = 1000): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}`;
}

export async function waitForPostgresReady(url: string, { timeoutMs = 30_000, hint }: ReadinessOptions = {}): Promise<void> {
  const what = `PostgreSQL at ${hostPort(url)}`;
  try {
    await waitFor(() => postgresAnswers(url), { timeoutMs, intervalMs: 200, what });
  } catch (err) {
    throw unreachable(what, timeoutMs, hint, err);
  }
}

/** One attempt: GET url answers 2xx. */
export async function httpAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return true;
}

export async function waitForHttpReady(url: string, { timeoutMs = 30_000, hint }: ReadinessOptions = {}): Promise<void> {
  try {
    await waitFor(() => httpAnswers(url), { timeoutMs, intervalMs: 250, what: `GET ${url}` });
  } catch (err) {
    throw unreachable(`GET ${url}`, timeoutMs, hint, err);
  }
}
