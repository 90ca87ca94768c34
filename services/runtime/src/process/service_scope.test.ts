import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, MemoryBroker } from '../bus/bus_memory';
import { commonConfigSchema } from '../config/common_config';
import type { Database } from '../db/database';
import type { ComponentHealth } from '../health/component_health';
import { createLogger } from '../log/logger';
import { ServiceScope, startInServiceScope, type ServiceScopeConfig } from './service_scope';

function captureLogs() {
  const lines: { level: string; msg: string; err?: string }[] = [];
  const logger = createLogger(
    'scope-test',
    {},
    {
      level: 'debug',
      destination: new Writable({
        write(chunk, _e, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    },
  );
  return { logger, lines };
}

/** A lent database that only records whether it was closed and answers health as told. */
function fakeDatabase(health: () => ComponentHealth = () => ({ ok: true, detail: 'db up' })) {
  const state = { closed: false };
  const db: Database = {
    kind: 'pglite',
    schema: 'scope_test',
    query: async () => ({ rows: [] }),
    exec: async () => undefined,
    transaction: async (fn) => fn(db),
    migrate: async () => undefined,
    health: async () => health(),
    close: async () => {
      state.closed = true;
    },
  };
  return { db, state };
}

function config(overrides: Partial<ServiceScopeConfig> = {}): ServiceScopeConfig {
  return { ...commonConfigSchema.parse({ SERVICE_NAME: 'scope-test' }), GRPC_PORT: 0, HEALTH_CHECK_INTERVAL_MS: 60_000, ...overrides };
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('ServiceScope', () => {
  it('runs close steps newest first, logs a failing step and goes on, and leaves lent resources open', async () => {
    const { logger, lines } = captureLogs();
    const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'scope.' });
    const { db, state } = fakeDatabase();
    const scope = await ServiceScope.open('scope-test', config(), { bus, db, logger });
    const ran: string[] = [];
    scope.onClose(() => void ran.push('first'));
    scope.onClose(async () => {
      ran.push('second');
      throw new Error('worker stuck');
    });
    scope.onClose(async () => void ran.push('third'));

    await Promise.all([scope.close(), scope.close()]);
    await scope.close();

    expect(ran).toEqual(['third', 'second', 'first']);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: 'error while stopping scope-test', err: 'Error: worker stuck' }),
    ]);
    expect(state.closed).toBe(false);
    expect((await bus.health()).ok).toBe(true);
    await bus.close();
  });

  it('creates its own bus and database from config and closes both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scope-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { logger } = captureLogs();
    const scope = await ServiceScope.open('scope-test', config({ PGLITE_DIR: dir }), { logger });
    expect(scope.db.kind).toBe('pglite');
    expect((await scope.bus.health()).ok).toBe(true);

    await scope.close();

    expect((await scope.bus.health()).ok).toBe(false);
    await expect(scope.db.query('select 1')).rejects.toThrow();
  });

  it('with db null opens no database (nothing written under PGLITE_DIR) and leaves it out of health', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scope-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { logger } = captureLogs();
    const scope = await ServiceScope.open('scope-test', config({ PGLITE_DIR: dir }), { logger, db: null });
    cleanups.push(() => scope.close());
    expect(scope.db).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);

    const health = await scope.startHealth({ health: { setAll: () => undefined } });
    expect(health.snapshot().components.map((c) => c.name)).toEqual(['bus']);
  });

  it('drives gRPC health from bus, database and extra components, NOT_SERVING until they answer', async () => {
    const { logger } = captureLogs();
    const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'scope.' });
    cleanups.push(() => bus.close());
    const { db } = fakeDatabase();
    const scope = await ServiceScope.open('scope-test', config(), { bus, db, logger });
    cleanups.push(() => scope.close());
    const statuses: string[] = [];
    let feed: ComponentHealth = { ok: false, detail: 'feed silent' };

    const health = await scope.startHealth({ health: { setAll: (s) => statuses.push(s) } }, [{ name: 'feed', check: async () => feed }]);
    expect(health.snapshot().components.map((c) => [c.name, c.ok])).toEqual([
      ['bus', true],
      ['database', true],
      ['feed', false],
    ]);
    expect(statuses).toEqual(['NOT_SERVING']);

    feed = { ok: true, detail: 'feed flowing' };
    await health.checkNow();
    expect(statuses).toEqual(['NOT_SERVING', 'SERVING']);
  });
});

describe('startInServiceScope', () => {
  it('undoes what a failing start had started, newest first, and rethrows its error', async () => {
    const { logger } = captureLogs();
    const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'scope.' });
    cleanups.push(() => bus.close());
    let checks = 0;
    const { db, state } = fakeDatabase(() => {
      checks += 1;
      return { ok: true, detail: 'db up' };
    });
    const ran: string[] = [];
    let port = 0;

    const failure = startInServiceScope('scope-test', config({ HEALTH_CHECK_INTERVAL_MS: 20 }), { bus, db, logger }, async (scope) => {
      scope.onClose(() => void ran.push('store'));
      const server = await scope.serveGrpc([]);
      port = server.port;
      await scope.startHealth(server);
      scope.onClose(() => void ran.push('engine'));
      throw new Error('feed refused to start');
    });

    await expect(failure).rejects.toThrow('feed refused to start');
    expect(ran).toEqual(['engine', 'store']);
    expect(await portIsFree(port)).toBe(true);
    const checksAtTeardown = checks;
    await new Promise((r) => setTimeout(r, 100));
    expect(checks).toBe(checksAtTeardown);
    expect(state.closed).toBe(false);
  });

  it('returns what start built, with a close that runs its steps', async () => {
    const { logger } = captureLogs();
    const bus = new MemoryBus({ broker: new MemoryBroker(), topicPrefix: 'scope.' });
    cleanups.push(() => bus.close());
    const { db } = fakeDatabase();
    const ran: string[] = [];

    const handle = await startInServiceScope('scope-test', config(), { bus, db, logger }, async (scope) => {
      const server = await scope.serveGrpc([]);
      scope.onClose(() => void ran.push('worker'));
      return { port: server.port, close: scope.close };
    });
    expect(await portIsFree(handle.port)).toBe(false);

    await handle.close();
    expect(ran).toEqual(['worker']);
    expect(await portIsFree(handle.port)).toBe(true);
  });
});
