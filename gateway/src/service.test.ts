import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from './auth';
import { loadGatewayConfig } from './config';
import { startGateway, type GatewayHandle } from './service';

// The gateway assembled on one ServiceScope: a start that fails part-way undoes what it had opened
// (publish gRPC server, database), and close() releases everything, so the same ports and data
// directory serve the next start.

const logger = createLogger('gateway-service-test', {}, { level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;
const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function freePort(): Promise<number> {
  const server = await listen();
  const port = portOf(server);
  await closeServer(server);
  return port;
}

async function gatewayConfig(env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-service-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return loadGatewayConfig({
    BUS: 'memory',
    LOG_LEVEL: 'silent',
    PGLITE_DIR: dir,
    WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
    KAFKA_TOPIC_PREFIX: `service-test.${Math.random()}.`,
    ...env,
  });
}

describe('startGateway', () => {
  it('undoes what a failed start had opened: the publish port is free again and the next start in the same data directory succeeds', async () => {
    const busy = await listen();
    cleanups.push(() => closeServer(busy));
    const publishPort = await freePort();
    const config = await gatewayConfig({ GATEWAY_PORT: String(portOf(busy)), PUBLISH_GRPC_PORT: String(publishPort) });

    await expect(startGateway(config, { logger })).rejects.toThrow(/cannot listen/);

    // The publish gRPC server had started before the HTTP server failed: its port is free again.
    await closeServer(await listen(publishPort));
    const gateway: GatewayHandle = await startGateway({ ...config, GATEWAY_PORT: 0 }, { logger });
    cleanups.push(() => gateway.close());
    expect(gateway.publishPort).toBe(publishPort);
    expect((await fetch(`http://127.0.0.1:${gateway.port}/livez`)).status).toBe(200);
  });

  it('close() releases the HTTP and publish ports and the database for the next start', async () => {
    const config = await gatewayConfig({ GATEWAY_PORT: String(await freePort()), PUBLISH_GRPC_PORT: String(await freePort()) });
    const first = await startGateway(config, { logger });
    await first.close();

    const second = await startGateway(config, { logger });
    cleanups.push(() => second.close());
    expect([second.port, second.publishPort]).toEqual([config.GATEWAY_PORT, config.PUBLISH_GRPC_PORT]);
  });

  it('starts without its embedded database, opens it for the first request that stores something, and keeps what it stored across a restart', async () => {
    const secret = 'service-test-secret-0123456789abcdef';
    const config = await gatewayConfig({ GATEWAY_PORT: '0', PUBLISH_GRPC_PORT: '0', JWT_SECRET: secret });
    const pgVersion = join(config.PGLITE_DIR, config.SERVICE_NAME, 'PG_VERSION');
    const token = await mintToken({ secret, subject: 'service-test', scopes: ['keys:write', 'read'], ttlSeconds: 600 });
    const api = (port: number, method: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}/api/v1/api-keys`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const first = await startGateway(config, { logger });
    // Issue 19: PGlite was most of the gateway's memory before any client came.
    expect(existsSync(pgVersion)).toBe(false);
    expect((await api(first.port, 'POST', { name: 'kept', scopes: ['read'] })).status).toBe(201);
    expect(existsSync(pgVersion)).toBe(true);
    await first.close();

    const second = await startGateway(config, { logger });
    cleanups.push(() => second.close());
    const listed = (await (await api(second.port, 'GET')).json()) as { name: string }[] | { keys: { name: string }[] };
    expect(JSON.stringify(listed)).toContain('"name":"kept"');
  }, 120_000);

  it('on the in-memory bus, keeps published ids in memory: a repeat is a duplicate, the embedded database stays shut, and a restart forgets them with the events', async () => {
    const secret = 'service-test-secret-0123456789abcdef';
    const config = await gatewayConfig({ GATEWAY_PORT: '0', PUBLISH_GRPC_PORT: '0', JWT_SECRET: secret });
    const pgVersion = join(config.PGLITE_DIR, config.SERVICE_NAME, 'PG_VERSION');
    const token = await mintToken({ secret, subject: 'service-test', scopes: ['publish'], ttlSeconds: 600 });
    const publish = (port: number) =>
      fetch(`http://127.0.0.1:${port}/api/v1/publish/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            { id: 'memory-1', type: 'equity_update', source: 'test', subject: 'S', data: { total_equity: '1', current_equity: '1' } },
          ],
        }),
      });

    const first = await startGateway(config, { logger });
    expect((await publish(first.port)).status).toBe(202);
    const again = await publish(first.port);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'DUPLICATE_EVENT' } });
    expect(existsSync(pgVersion)).toBe(false);
    await first.close();

    const second = await startGateway(config, { logger });
    cleanups.push(() => second.close());
    expect((await publish(second.port)).status).toBe(202);
  }, 120_000);
});
