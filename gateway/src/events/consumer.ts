import { EVENT_TYPES, eventAgeMetrics, type Bus, type Logger, type Subscription } from '@marketpulse/runtime';
import type { Hub } from '../ws/hub';
import { channelsOf, payloadOf, publicationOf } from './routes';

export interface EventConsumerOptions {
  bus: Bus;
  hub: Hub;
  /** Unique per gateway instance, so every instance receives every event. */
  groupId: string;
  logger: Logger;
}

/**
 * Feeds the hub from the bus. Each gateway instance consumes in its own consumer group from the
 * end of each topic: history and resume come from the hub, not from replaying Kafka.
 */
export function startEventConsumer(options: EventConsumerOptions): Promise<Subscription> {
  const { hub, logger } = options;
  const observeAge = eventAgeMetrics();
  return options.bus.subscribe({
    groupId: options.groupId,
    types: [...EVENT_TYPES],
    fromBeginning: false,
    handler: async ({ event, traceparent }) => {
      if (!event.id) {
        logger.warn({ type: event.type, subject: event.subject }, 'event without id skipped: it could not be resumed from');
        return;
      }
      observeAge(event.type, event.time);
      const data = payloadOf(event);
      hub.publish(channelsOf(event, data), publicationOf(event, traceparent, data));
    },
  });
}
