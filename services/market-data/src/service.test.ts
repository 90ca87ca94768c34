import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { startMarketData } from './service';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanups.splice(0).reverse()) await step();
});

function portTaken(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('startMarketData', () => {
  it('releases the outage spool when a start fails part way, so the next start in the process gets it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-start-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { server, port } = await portTaken();
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    // Its own Kafka bus (so the spool is used) at an address nothing answers: creating it connects nowhere yet.
    const env = { BUS: 'kafka', KAFKA_BROKERS: '127.0.0.1:1', PGLITE_DIR: dir, GRPC_HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
    const logger = createLogger('market-data-test', {}, { level: 'silent' });

    await expect(startMarketData(loadConfig({ ...env, GRPC_PORT: String(port) }), { logger })).rejects.toThrow();

    const handle = await startMarketData(loadConfig({ ...env, GRPC_PORT: '0' }), { logger });
    cleanups.push(() => handle.close());
    expect(handle.grpcPort).toBeGreaterThan(0);
    // Two starts, each opening an embedded PostgreSQL and migrating it: tens of seconds on a busy machine.
  }, 180_000);
});
