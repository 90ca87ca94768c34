import { createBus, type Logger } from '@marketpulse/runtime';
import type { GatewayConfig } from '../config';
import type { GatewayHandle } from '../service';
import { clusterMetrics } from './cluster_metrics';
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
  const gateway = await startGateway(
    { ...config, GATEWAY_INSTANCE_ID: instanceId },
    { logger, bus, db, sharedPublishedIds: true, metrics: clusterMetrics(primary, logger) },
  );
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
