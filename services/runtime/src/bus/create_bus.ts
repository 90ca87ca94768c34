import type { CommonConfig } from '../config/common_config';
import type { Logger } from '../log/logger';
import type { Bus } from './bus';
import { KafkaBus } from './bus_kafka';
import { MemoryBus, sharedMemoryBroker } from './bus_memory';
import type { HandlerRetryPolicy } from './handler_retry_policy';

export type BusConfig = Pick<
  CommonConfig,
  'BUS' | 'KAFKA_BROKERS' | 'KAFKA_TOPIC_PREFIX' | 'KAFKA_CLIENT_ID' | 'KAFKA_PARTITIONS' | 'SERVICE_NAME'
> &
  Partial<Pick<CommonConfig, 'BUS_HANDLER_MAX_ATTEMPTS' | 'BUS_RETRY_BACKOFF_MAX_MS'>>;

function handlerRetry(config: BusConfig): Partial<HandlerRetryPolicy> {
  return {
    ...(config.BUS_HANDLER_MAX_ATTEMPTS === undefined ? {} : { maxAttempts: config.BUS_HANDLER_MAX_ATTEMPTS }),
    ...(config.BUS_RETRY_BACKOFF_MAX_MS === undefined
      ? {}
      : { backoffMaxMs: config.BUS_RETRY_BACKOFF_MAX_MS, backoffBaseMs: Math.min(200, config.BUS_RETRY_BACKOFF_MAX_MS) }),
  };
}

/** Kafka when BUS=kafka; otherwise a client of the process-wide in-memory broker. */
export function createBus(config: BusConfig, logger: Logger): Bus {
  if (config.BUS === 'kafka') {
    return new KafkaBus({
      brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      clientId: config.KAFKA_CLIENT_ID ?? config.SERVICE_NAME,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      partitions: config.KAFKA_PARTITIONS,
      logger,
      handlerRetry: handlerRetry(config),
    });
  }
  return new MemoryBus({ broker: sharedMemoryBroker(logger), topicPrefix: config.KAFKA_TOPIC_PREFIX, handlerRetry: handlerRetry(config) });
}
