import { createBus, metricsRegistry, type Logger } from '@marketpulse/runtime';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayConfig } from '../config';
import type { GatewayHandle } from '../service';
import { LinkedDatabase } from './linked_database';
import type { PrimaryLink } from './primary_link';
import { RelayBus } from './relay_bus';

/**
 * One worker of a gateway with GATEWAY_WORKERS > 1: a whole gateway (doors, API, publish gRPC,
 * /metrics, health) on the ports the primary shares, with its own hub and consumer. BUS=kafka: it
 * consumes every topic itself in its own consumer group, as any gateway instance does. BUS=memory:
 * its bus is relayed through the primary (RelayBus). Without DATABASE_URL its database is the
 * primary's PGlite (LinkedDatabase). If the primary goes away, the worker stops.
 */
export async function startWorker(config: GatewayConfig, logger: Logger, slot: number, primary: PrimaryLink): Promise<GatewayHandle> {
  // An orphaned worker would keep the port and serve without its siblings' events: stop as on SIGTERM.
  process.once('disconnect', () => {
    logger.error('the gateway primary is gone; stopping');
    process.kill(process.pid, 'SIGTERM');
  });
  const { database, backlog } = await primary.hello;
  const bus = config.BUS === 'memory' ? new RelayBus(createBus(config, logger), primary, logger, backlog) : undefined;
  const db = database ? new LinkedDatabase(primary, database) : undefined;
  // A named instance names each worker (its own Kafka consumer group); unnamed ones differ by pid already.
  const instanceId = config.GATEWAY_INSTANCE_ID === undefined ? undefined : `${config.GATEWAY_INSTANCE_ID}-w${slot}`;
  const { startGateway } = await import('../service');
  const gateway = await startGateway({ ...config, GATEWAY_INSTANCE_ID: instanceId }, { logger, bus, db, sharedPublishedIds: true });
  serveClusterMetrics(gateway, primary, logger);
  await primary.send({
    t: 'ready',
    httpPort: gateway.port,
    nativePort: gateway.nativePort ?? null,
    publishPort: gateway.publishPort ?? null,
    instanceId: gateway.instanceId,
  });
  return {
    ...gateway,
    close: async () => {
      await gateway.close();
      await bus?.close();
    },
  };
}

/**
 * /metrics on any worker answers for the whole gateway: a scrape reaches one worker (the shared
 * port), so one worker's counters alone would jump between scrapes. The primary sums every worker's
 * registry (prom-client's AggregatorRegistry: counters, gauges and histograms added, process metrics
 * per its own rules); if it cannot, this worker's own metrics answer, and the log says why.
 */
function serveClusterMetrics(gateway: GatewayHandle, primary: PrimaryLink, logger: Logger): void {
  // Constructing one installs prom-client's answer to the primary's requests for this worker's registry.
  new AggregatorRegistry();
  gateway.router.route('GET', '/metrics', async (_req, res) => {
    let text: string;
    try {
      text = await primary.metrics();
    } catch (err) {
      logger.warn({ err }, "the primary could not gather every worker's metrics; answering with this worker's");
      text = await metricsRegistry().metrics();
    }
    res.writeHead(200, { 'content-type': metricsRegistry().contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}
