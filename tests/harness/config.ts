import path from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * Where the test run finds its servers. By default the contract ports (Kafka 9092, PostgreSQL
 * 5432, Zipkin 9411), so a run reuses servers a developer already started with infra/up.sh and
 * never stops them; suites stay isolated by topic prefix and database name, and services that
 * tests spawn take ports from freePort(), so they never collide with a developer's running suite.
 *
 *   KAFKA_BROKERS            use this broker list as is (nothing is started)
 *   MP_TEST_PG_ADMIN_URL     use this PostgreSQL (a URL of a role that may CREATE DATABASE)
 *   MP_TEST_KAFKA_PORT, MP_TEST_PGPORT, MP_TEST_ZIPKIN_PORT   ports for servers the run may start
 *                            (falling back to KAFKA_PORT, PGPORT, ZIPKIN_PORT); a non-default port
 *                            gets its own data folder .run/port-<port>/, so both sets can run at once
 *   MP_TEST_INFRA            auto (default) | docker | local: how missing servers are started
 */
export const DEFAULT_PORTS = { kafka: 9092, postgres: 5432, zipkin: 9411 } as const;
export type ServerName = keyof typeof DEFAULT_PORTS;

export const LOOPBACK = '127.0.0.1';

function portFromEnv(...names: string[]): number | undefined {
  for (const name of names) {
    const raw = process.env[name];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`${name}=${raw} is not a TCP port`);
    }
    return port;
  }
  return undefined;
}

export function serverPort(name: ServerName): number {
  switch (name) {
    case 'kafka':
      return portFromEnv('MP_TEST_KAFKA_PORT', 'KAFKA_PORT') ?? DEFAULT_PORTS.kafka;
    case 'postgres':
      return portFromEnv('MP_TEST_PGPORT', 'PGPORT') ?? DEFAULT_PORTS.postgres;
    case 'zipkin':
      return portFromEnv('MP_TEST_ZIPKIN_PORT', 'ZIPKIN_PORT') ?? DEFAULT_PORTS.zipkin;
  }
}

/** The MP_RUN_DIR the infra scripts get for a server on `port`; its folder is <runDir>/<name>. */
export function runDirFor(name: ServerName, port: number): string {
  if (process.env.MP_RUN_DIR) return process.env.MP_RUN_DIR;
  const base = path.join(REPO_ROOT, '.run');
  return port === DEFAULT_PORTS[name] ? base : path.join(base, `port-${port}`);
}

export function serverDir(name: ServerName, port = serverPort(name)): string {
  return path.join(runDirFor(name, port), name);
}

export function pgAdminUrlFor(host: string, port: number): string {
  return `postgres://postgres@${host}:${port}/postgres`;
}
