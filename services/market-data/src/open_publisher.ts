import { join } from 'node:path';
import type { Bus, Logger } from '@marketpulse/runtime';
import type { MarketDataConfig } from './config';
import { EventPublisher } from './publisher';
import { SpoolFile } from './spool_file';

/** The spool file of this configuration: its events belong to one topic prefix, hence one file per prefix. */
export function spoolFilePath(config: MarketDataConfig): string {
  const dir = config.MARKET_SPOOL_DIR || join(config.PGLITE_DIR, `${config.SERVICE_NAME}-spool`);
  const prefix = config.KAFKA_TOPIC_PREFIX.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(dir, `${prefix}events.spool`);
}

/**
 * The service's publisher. `durable` (the service's own Kafka bus) adds the outage spool and
 * queues the events a crashed run left in it ahead of everything new; an in-process bus loses its
 * events with the process anyway, so it gets none.
 */
export async function openEventPublisher(
  config: MarketDataConfig,
  deps: { bus: Bus; logger: Logger; durable: boolean },
): Promise<EventPublisher> {
  const spool =
    deps.durable && config.BUS === 'kafka'
      ? {
          file: await SpoolFile.open(spoolFilePath(config), deps.logger),
          flushMs: config.MARKET_SPOOL_FLUSH_MS,
          memoryEvents: config.MARKET_SPOOL_MEMORY_EVENTS,
        }
      : undefined;
  return new EventPublisher({ bus: deps.bus, logger: deps.logger, batchSize: config.MARKET_PUBLISH_BATCH, spool });
}
