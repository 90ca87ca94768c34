import type { events } from '@marketpulse/proto';
import { EVENT_TYPES, isEventType, type Bus, type DeliveredEvent, type Logger, type Subscription } from '@marketpulse/runtime';
import { eventAgeMetrics } from '../observability/event_age_metrics';
import type { Hub } from '../ws/hub';
import { partitionKey, type KafkaLog } from '../ws/history/kafka_log';
import { publicationOfRecord } from '../ws/history/record_publication';
import type { PositionIndex } from '../ws/history/positions';
import { warmFromKafka } from '../ws/history/warm_start';
import { channelsOf, payloadOf, publicationOf } from './routes';

/** What resume needs from the consumer: positions of what it handled, and a warm start from Kafka. */
export interface ConsumerHistory {
  index: PositionIndex;
  /** Undefined on the in-memory bus: no warm start, resume from memory only. */
  log: KafkaLog | undefined;
  topicOf: (type: string) => string;
  warmCount: number;
  warmAgeMs: number;
}

export interface EventConsumerOptions {
  bus: Bus;
  hub: Hub;
  /** Unique per gateway instance, so every instance receives every event. */
  groupId: string;
  logger: Logger;
  history?: ConsumerHistory;
}

/**
 * Feeds the hub from the bus. Each gateway instance consumes in its own consumer group from the
 * end of each topic; with `history`, it first warms the hub from Kafka (warm_start.ts) and records
 * each handled record's position for resume. Resolves once the consumer is positioned: every event
 * published from then on reaches clients, and none published while it started is skipped.
 */
export async function startEventConsumer(options: EventConsumerOptions): Promise<Subscription> {
  const { hub, logger, history } = options;
  const observeAge = eventAgeMetrics();
  // Positions are Kafka's: on the in-memory bus (no log) nothing resumes past the hub's histories, so
  // none is recorded (issue 19: an entry per event, up to WS_RESUME_INDEX_SIZE kept). A record it
  // delivers again (its handler failed) meets the hub's duplicate check by id.
  const index = history?.log ? history.index : undefined;

  const publish = (event: events.Event, traceparent: string | undefined, d: DeliveredEvent) => {
    if (!event.id) {
      logger.warn({ type: event.type, subject: event.subject }, 'event without id skipped: it could not be resumed from');
      return;
    }
    // No client may read a type the catalog does not know (it has no channel); each new name would cost
    // the hub a channel and the metrics a series for as long as the process lives.
    if (!isEventType(event.type)) {
      logger.debug({ type: event.type.slice(0, 64), event_id: event.id.slice(0, 64) }, 'event of an unknown type skipped');
      return;
    }
    let pos: string | undefined;
    if (index) {
      const key = partitionKey(d.topic, d.partition);
      const offset = Number(d.offset);
      // Delivered again (a restarted consumer, a rebalance): already handled.
      if (index.handled(key, offset)) return;
      index.record(event.id, key, offset, hub.nextSeq);
      pos = index.entryAfter(d.topic, d.partition, offset);
    }
    observeAge(event.type, event.time);
    const data = payloadOf(event);
    const pub = publicationOf(event, traceparent, data);
    hub.publish(channelsOf(event, data), pos === undefined ? pub : { ...pub, pos });
  };
  const live = (d: DeliveredEvent) => publish(d.event, d.traceparent, d);

  let held: DeliveredEvent[] | undefined = history?.log ? [] : undefined;
  const subscription = await options.bus.subscribe({
    groupId: options.groupId,
    types: [...EVENT_TYPES],
    fromBeginning: false,
    handler: async (d) => {
      if (held) held.push(d);
      else live(d);
    },
  });
  if (!history?.log || !held) return subscription;
  try {
    await warmFromKafka({
      log: history.log,
      index: history.index,
      topics: EVENT_TYPES.map(history.topicOf),
      count: history.warmCount,
      ageMs: history.warmAgeMs,
      logger,
      handle: (record) => {
        const key = partitionKey(record.topic, record.partition);
        // Handled by an earlier attempt to start (one that failed part-way through its warm-up).
        if (history.index.handled(key, record.offset)) return;
        const pub = publicationOfRecord(record, history.index);
        if (!pub) return;
        history.index.record(pub.id, key, record.offset, hub.nextSeq);
        hub.publish(pub.channels, pub);
      },
    });
  } catch (err) {
    await subscription.close();
    throw err;
  }
  const waiting = held;
  held = undefined;
  for (const d of waiting) live(d);
  return subscription;
}
