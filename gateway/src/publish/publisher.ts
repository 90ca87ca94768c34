import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Bus, Logger } from '@marketpulse/runtime';
import { ApiError, validationError } from '../errors';
import type { EventPublisher } from '../events/publish_contracts';
import type { PublishedIds, UnfinishedClaim } from './published_ids';
import { markIfDecodedForm } from './decoded_form';
import { ownerRefusal } from './owner_rule';
import { unsafeTextViolations } from './publishable_text';
import { toEvent } from './to_event';

function duplicateEvents(ids: readonly string[]): ApiError {
  return new ApiError(
    GrpcStatus.ALREADY_EXISTS,
    'DUPLICATE_EVENT',
    `already published: ${ids.join(', ')}; nothing was published. Give each event its own id (a retry of an accepted event needs no resend)`,
    {
      ids: [...ids],
    },
  );
}

function publishInProgress(unfinished: readonly UnfinishedClaim[]): ApiError {
  const ids = unfinished.map((u) => u.id);
  const retryAfter = Math.max(...unfinished.map((u) => u.retryAfterSeconds));
  return new ApiError(
    GrpcStatus.UNAVAILABLE,
    'PUBLISH_IN_PROGRESS',
    `an earlier publish of ${ids.join(', ')} has not finished: it is still running, or its gateway stopped before the bus answered; nothing was published by this request. Send it again in ${retryAfter} s: a publish still unfinished then is taken over by yours`,
    { ids, retry_after_seconds: retryAfter },
  );
}

/** Ids that occur more than once in `ids`, each once (a Set: a 500-event batch is not 125,000 comparisons). */
function repeatedIds(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of ids) (seen.has(id) ? repeated : seen).add(id);
  return [...repeated];
}

/**
 * `ids` remembers what was published: an id published again (by the same publisher; another's
 * is another id, see scopedEventId) is answered DUPLICATE_EVENT (409, ALREADY_EXISTS), never
 * put on the bus to be dropped silently.
 */
export function createEventPublisher(bus: Bus, logger: Logger, ids: PublishedIds): EventPublisher {
  return {
    async publish(items, check, callerIdentity, options = {}) {
      // One clock reading per request: the events of a batch published without a time share it.
      const now = new Date().toISOString();
      // A batch's fields are named by event (`events.3.id`); built only for a refusal.
      const prefixOf = (index: number) => (items.length > 1 ? `events.${index}.` : '');
      const accepted = items.map((item, index) => {
        // In the loop, not before it: a batch's first refusal (contract, owner, text) is the one answered.
        const checked = check(item);
        if (!checked.ok) throw validationError(checked.issues.map((i) => ({ field: prefixOf(index) + i.field, message: i.message })));
        const input = checked.event;
        const refusal = ownerRefusal(input, callerIdentity, options.anyOwner === true, `${prefixOf(index)}owner`);
        if (refusal) throw refusal;
        const event = toEvent(input, callerIdentity, now);
        const unsafe = unsafeTextViolations(input, event);
        if (unsafe.length > 0) throw validationError(unsafe.map((v) => ({ field: prefixOf(index) + v.field, message: v.message })));
        return markIfDecodedForm(event);
      });
      const eventIds = accepted.map((e) => e.id);
      const repeated = repeatedIds(eventIds);
      if (repeated.length > 0) throw duplicateEvents(repeated);
      const known = await ids.claim(eventIds);
      if (known.length > 0) {
        const unfinished = await ids.unfinished(known);
        // A Set, as for repeated ids: a 500-event retry is not 250,000 comparisons.
        const inProgress = new Set(unfinished.map((u) => u.id));
        const published = known.filter((id) => !inProgress.has(id));
        throw published.length > 0 ? duplicateEvents(published) : publishInProgress(unfinished);
      }
      // Durability: the ids are claimed (unfinished) before the bus has the events and confirmed only
      // after it took them, so a gateway that stops in between leaves a claim that a retry takes over
      // once its lease is up, instead of a duplicate refusal for an event that was never published.
      try {
        await bus.publish(accepted);
      } catch (err) {
        await ids.release(eventIds).catch((e: unknown) => logger.warn({ err: e }, 'could not forget the ids of events the bus refused'));
        logger.error({ err, count: accepted.length }, 'publish API could not put events on the bus');
        throw new ApiError(
          GrpcStatus.UNAVAILABLE,
          'BUS_UNAVAILABLE',
          'the event bus did not accept the events; nothing was published, try again',
          {
            service: 'bus',
          },
        );
      }
      // Answered after the confirmation, so a re-publish once this request is answered is a duplicate;
      // if it cannot be recorded the events are published all the same (a retry after the lease
      // would publish them again: at least once, never lost).
      await ids
        .confirm(eventIds)
        .catch((err: unknown) =>
          logger.warn({ err, ids: eventIds }, 'the bus took the events, but their ids could not be marked published'),
        );
      if (logger.isLevelEnabled('info')) {
        logger.info({ ids: eventIds, types: [...new Set(accepted.map((e) => e.type))], source: callerIdentity }, 'events published');
      }
      return accepted;
    },
  };
}
