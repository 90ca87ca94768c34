import { status as GrpcStatus } from '@grpc/grpc-js';
import type { events } from '@marketpulse/proto';
import type { Bus, Logger } from '@marketpulse/runtime';
import { ApiError, validationError } from '../api/errors';
import { PublishEvent } from './event_contracts';
import { toEvent } from './to_event';

/** Validates events against the contracts and puts them on the bus, all or nothing. */
export interface EventPublisher {
  /** `raw` items are PublishEvent JSON; resolves with the events as accepted. */
  publish(raw: unknown[], callerIdentity: string): Promise<events.Event[]>;
}

export function createEventPublisher(bus: Bus, logger: Logger): EventPublisher {
  return {
    async publish(raw, callerIdentity) {
      const accepted = raw.map((item, index) => {
        const parsed = PublishEvent.safeParse(item);
        if (!parsed.success) {
          const prefix = raw.length > 1 ? `events.${index}.` : '';
          throw validationError(
            parsed.error.issues.map((i) => ({ field: prefix + (i.path.map(String).join('.') || '(event)'), message: i.message })),
          );
        }
        return toEvent(parsed.data, callerIdentity);
      });
      try {
        await bus.publish(accepted);
      } catch (err) {
        logger.error({ err, count: accepted.length }, 'publish API could not put events on the bus');
        throw new ApiError(GrpcStatus.UNAVAILABLE, 'BUS_UNAVAILABLE', 'the event bus did not accept the events; nothing was published, try again', {
          service: 'bus',
        });
      }
      logger.info({ ids: accepted.map((e) => e.id), types: [...new Set(accepted.map((e) => e.type))], source: callerIdentity }, 'events published');
      return accepted;
    },
  };
}

