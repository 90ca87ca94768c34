import cluster, { type Worker } from 'node:cluster';
import { pgliteOnFirstUse, type Database, type Logger } from '@marketpulse/runtime';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayConfig } from '../config';
import { WORKER_SLOT_ENV, type DatabaseOp, type Relay, type ToPrimary, type ToWorker } from './messages';
import { RecentPublications } from './recent_publications';

/** Most events kept for a replacement worker's history (the in-memory bus keeps 10,000 per partition). */
const BACKLOG_EVENTS = 10_000;

/** First wait before a dead worker's slot is forked again; doubles while the slot keeps dying before it is ready. */
const RESTART_DELAY_MS = 500;
const RESTART_DELAY_MAX_MS = 30_000;
/** How long a stopping worker has to close its connections (1001) and servers before it is killed. */
const STOP_GRACE_MS = 15_000;

export interface PrimaryHandle {
  port: number;
  nativePort: number | null;
  publishPort: number | null;
  /** The live workers: slot and pid. */
  workers(): { slot: number; pid: number }[];
  close(): Promise<void>;
}

type Ready = Extract<ToPrimary, { t: 'ready' }>;

/**
 * The primary of a gateway with GATEWAY_WORKERS > 1: it serves no client itself. It forks the
 * workers (each a whole gateway; node:cluster shares their listening ports, Linux hands each new
 * connection to one worker in turn), hands what any worker publishes on the in-memory bus to every
 * worker (keeping the newest for a replacement worker's history), holds the embedded database for them (PGlite admits one process), forks a worker
 * again when one dies, and on close stops them all gracefully. Resolves once every worker is ready;
 * rejects (after stopping the others) when one exits before it ever was.
 */
export async function startPrimary(config: GatewayConfig, logger: Logger, count: number): Promise<PrimaryHandle> {
  cluster.setupPrimary({ serialization: 'advanced' });
  // Opened by the first statement a worker sends, as in one process (service.ts): a primary whose
  // workers serve WebSocket clients alone never pays for PGlite.
  const database = config.DATABASE_URL ? undefined : pgliteOnFirstUse({ service: config.SERVICE_NAME, dataDir: config.PGLITE_DIR });
  // Asks every worker for its registry over the cluster channel and sums them (counters, gauges, histograms).
  const aggregator = new AggregatorRegistry();
  const live = new Map<number, Worker>();
  const recent = new RecentPublications(config.BUS === 'memory' ? BACKLOG_EVENTS : 0, config.WS_HISTORY_MAX_AGE_MS);
  const restartDelay = new Map<number, number>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let first: Ready | undefined;
  let starting: { ready: Set<number>; resolve: () => void; reject: (err: Error) => void } | undefined;
  const started = new Promise<void>((resolve, reject) => (starting = { ready: new Set(), resolve, reject }));

  const send = (worker: Worker, message: ToWorker) => {
    // A worker that just died has no channel; its replacement starts from the next event.
    if (worker.isConnected()) worker.send(message, () => undefined);
  };

  const answer = async (worker: Worker, id: number, call: () => Promise<unknown>) => {
    try {
      const value = await call();
      send(worker, { t: 'reply', id, ok: true, value });
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown };
      send(worker, {
        t: 'reply',
        id,
        ok: false,
        error: { message: typeof e.message === 'string' ? e.message : String(err), code: typeof e.code === 'string' ? e.code : undefined },
      });
    }
  };

  const onMessage = (slot: number, worker: Worker, message: ToPrimary) => {
    if (message.t === 'publish') {
      // One order for every worker: the order publications reach the primary. Each channel is
      // ordered, so the publisher gets its own relay before the reply that ends its publish call.
      const relay: Relay = { t: 'relay', events: message.events, headers: message.headers };
      recent.add(relay);
      for (const target of live.values()) send(target, relay);
      send(worker, { t: 'reply', id: message.id, ok: true, value: null });
    } else if (message.t === 'db') {
      const { t: _t, id, ...call } = message;
      void answer(worker, id, () => {
        if (!database) throw new Error('this gateway has DATABASE_URL: each worker opens its own pool');
        return runOnDatabase(database, call as DatabaseOp);
      });
    } else if (message.t === 'metrics') {
      void answer(worker, message.id, () => aggregator.clusterMetrics());
    } else if (message.t === 'ready') {
      first ??= message;
      restartDelay.delete(slot);
      logger.info({ slot, pid: worker.process.pid, instance_id: message.instanceId }, 'worker ready');
      if (starting && !starting.ready.has(slot)) {
        starting.ready.add(slot);
        if (starting.ready.size === count) starting.resolve();
      }
    }
  };

  const fork = (slot: number) => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    // The hello goes first on the new channel (the worker listens from its first line, main.ts), with
    // the backlog as of now; every later publication follows it: none is missed or sent twice.
    send(worker, {
      t: 'hello',
      database: database ? { kind: database.kind, schema: database.schema } : null,
      backlog: recent.snapshot(),
    });
    live.set(slot, worker);
    worker.on('message', (message: ToPrimary) => onMessage(slot, worker, message));
    worker.once('exit', (code, signal) => {
      if (live.get(slot) === worker) live.delete(slot);
      if (stopping) return;
      if (starting && !starting.ready.has(slot)) {
        starting.reject(new Error(`worker ${slot} exited (code ${code}, signal ${signal}) before it was ready; see its log lines`));
        return;
      }
      const delay = restartDelay.get(slot) ?? RESTART_DELAY_MS;
      logger.error({ slot, pid: worker.process.pid, code, signal, restart_in_ms: delay }, 'worker exited; forking it again');
      restartDelay.set(slot, Math.min(delay * 2, RESTART_DELAY_MAX_MS));
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) fork(slot);
      }, delay);
      timers.add(timer);
    });
  };

  const close = async () => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...live.values()].map(stopWorker));
    await database?.close();
  };

  for (let slot = 1; slot <= count; slot++) fork(slot);
  try {
    await started;
  } catch (err) {
    await close();
    throw err;
  }
  starting = undefined;
  return {
    port: first!.httpPort,
    nativePort: first!.nativePort,
    publishPort: first!.publishPort,
    workers: () => [...live].map(([slot, w]) => ({ slot, pid: w.process.pid ?? 0 })),
    close,
  };
}

function runOnDatabase(database: Database, call: DatabaseOp): Promise<unknown> {
  switch (call.op) {
    case 'query':
      return database.query(call.sql, call.params).then((result) => ({ rows: result.rows }));
    case 'exec':
      return database.exec(call.sql);
    case 'migrate':
      return database.migrate(call.migrations);
    case 'health':
      return database.health();
  }
}

/** SIGTERM (the worker closes its clients with 1001 and its servers), SIGKILL after STOP_GRACE_MS. */
function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}
