import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { runService } from '@marketpulse/runtime';
import { clusterMetrics } from './cluster/cluster_metrics';
import { workerSlot } from './cluster/messages';
import { PrimaryLink } from './cluster/primary_link';
import { loadGatewayConfig } from './config';

// Standalone process: node --require @marketpulse/runtime/dist/telemetry/register.js gateway/dist/main.js
// METRICS_PORT (127.0.0.1:9464 by default) serves /metrics and the probes for a scraper, as every
// service's does; the public port's /metrics needs ops:read in production (service.ts).
//
// GATEWAY_WORKERS (unset: one per core) decides what this process is, the one place it is decided:
//  - 1: the whole gateway in this process, as before workers existed;
//  - more: a primary (src/cluster/primary.ts) that forks that many workers and serves no client;
//  - a process the primary forked (its slot in MP_GATEWAY_WORKER_SLOT): one worker (src/cluster/worker.ts).
// Why node:cluster: it shares the listening sockets (HTTP, native door, publish gRPC) without
// SO_REUSEPORT, the primary hands each new connection to one worker in turn (round-robin on Linux,
// so the kernel's wake-up order cannot pile connections onto one busy worker), and it is the IPC
// channel the in-memory bus and the embedded database need. Each worker is a whole gateway: its own
// hub, history, consumer, /readyz and logs (`worker` on every line: its slot; 0 the primary).
// What a single process shares in memory is either carried by the primary or per worker by nature:
//  - events: BUS=kafka, each worker consumes in its own consumer group (as any instance does);
//    BUS=memory, the primary hands what any worker publishes to every worker, in one order
//    (src/cluster/relay_bus.ts);
//  - the embedded PGlite database (API keys, published ids) admits one process: the primary holds it
//    and runs the workers' statements (src/cluster/linked_database.ts); with DATABASE_URL each
//    worker has its own pool (DATABASE_POOL_SIZE per worker);
//  - connection limits (WS_MAX_CONNECTIONS...), rate limits, history, /ws/stats and /readyz are per
//    worker; /metrics on any worker (public port or METRICS_PORT) sums every worker's registry through the primary.
// A worker that dies is forked again, its history warmed (from Kafka, or from the primary's newest
// publications); its clients reconnect to any worker and resume (?position=, ?since=).
const slot = cluster.isWorker ? workerSlot() : undefined;
// Listening from the first line: the primary's hello may arrive before anything else is loaded.
const primary = slot !== undefined ? new PrimaryLink() : undefined;

runService({
  service: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  logBindings: slot !== undefined ? { worker: slot } : undefined,
  readyMessage: slot !== undefined ? 'worker ready' : 'ready',
  // Workers share METRICS_PORT as they share the others, each answering for all; a primary serves no client, that port included.
  metricsSource: (config, logger) =>
    slot !== undefined ? clusterMetrics(primary!, logger) : (config.GATEWAY_WORKERS ?? availableParallelism()) > 1 ? false : undefined,
  start: async (config, logger) => {
    if (slot !== undefined) return (await import('./cluster/worker')).startWorker(config, logger, slot, primary!);
    const count = config.GATEWAY_WORKERS ?? availableParallelism();
    if (count > 1) {
      logger.setBindings({ worker: 0 });
      return (await import('./cluster/primary')).startPrimary(config, logger, count);
    }
    return (await import('./service')).startGateway(config, { logger });
  },
  ready: (handle) =>
    'workers' in handle
      ? { http_port: handle.port, native_port: handle.nativePort, publish_port: handle.publishPort, workers: handle.workers() }
      : { http_port: handle.port, native_port: handle.nativePort ?? null, instance_id: handle.instanceId },
});
