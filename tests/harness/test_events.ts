import { randomUUID } from 'node:crypto';
import { events, type market } from '@marketpulse/proto';
import { createLogger, KafkaBus, type KafkaBusOptions, type Logger } from '@marketpulse/runtime';
import { kafkaBrokers } from './context';

export interface TickOptions {
  id?: string;
  symbol?: string;
  price?: number;
  source?: string;
  /** Further fields of the market_data_update payload (volume, bid, ask, sequence...). */
  quote?: Partial<market.Tick>;
}

/** A market_data_update envelope stamped now: `symbol` (default AAPL) at `price` (default 100). */
export function tickEvent({
  id = randomUUID(),
  symbol = 'AAPL',
  price = 100,
  source = 'test',
  quote = {},
}: TickOptions = {}): events.Event {
  const time = new Date().toISOString();
  return events.Event.fromPartial({
    id,
    type: 'market_data_update',
    source,
    subject: symbol,
    time,
    payload: { $case: 'market_data_update', market_data_update: { symbol, price, timestamp: time, ...quote } },
  });
}

export interface TestBusOptions {
  clientId: string;
  logger?: Logger;
  partitions?: number;
  handlerRetry?: KafkaBusOptions['handlerRetry'];
}

/** A KafkaBus on the run's broker under `prefix` (the suite's own topics; see uniqueTopicPrefix). */
export function testKafkaBus(prefix: string, { clientId, logger, partitions = 3, handlerRetry }: TestBusOptions): KafkaBus {
  return new KafkaBus({
    brokers: kafkaBrokers().split(','),
    clientId,
    topicPrefix: prefix,
    partitions,
    logger: logger ?? createLogger(clientId, {}, { level: 'silent' }),
    handlerRetry,
  });
}
