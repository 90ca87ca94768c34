import { CHANNELS, ownerAllows } from '@marketpulse/runtime';
import { canRead, hasScope, type Principal } from './auth';

/** Every event goes to this channel too; native subscriptions and tRPC read it through filters. */
export const EVENTS_CHANNEL = CHANNELS.events;

/** A publication as visibility sees it: where it was published and whose it is. */
export interface Visible {
  /** Every channel it went to (its family channel, e.g. `alerts`, and `events`). */
  readonly channels: readonly string[];
  /** The Event envelope's owner: '' for a system event. */
  readonly owner: string;
}

/**
 * The one place the gateway decides whether a principal may receive an event, on every path: the
 * hub's fan-out to each door and tRPC subscriber, and resume/history replay. An event is
 * delivered when one of its family channels (not the `events` firehose) is readable by the
 * principal's channel patterns, and its owner allows the principal (runtime's ownerAllows: owned
 * events reach their owner and operators only, never anonymous clients). SECURITY.md.
 */
export function mayReceive(principal: Principal | undefined, pub: Visible): boolean {
  if (principal === undefined) return false;
  if (pub.owner && !ownerAllows(pub.owner, viewerOf(principal))) return false;
  return pub.channels.some((c) => c !== EVENTS_CHANNEL && canRead(principal, c));
}

function viewerOf(principal: Principal) {
  return { userId: principal.method === 'anonymous' ? undefined : principal.userId, operator: hasScope(principal, 'admin') };
}
