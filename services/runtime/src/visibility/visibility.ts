import type { events } from '@marketpulse/proto';
import { EVENT_CATALOG, isEventType } from '../events/catalog';
/**
 * Who may receive an event, decided by its owner (the Event envelope's `owner` field). This is the
 * one rule every delivery path applies: the gateway's WebSocket doors, their resume, tRPC
 * subscriptions (gateway/src/visibility.ts adds the channel check), and webhook intake (the SQL
 * form below). SECURITY.md states it for people.
 *
 * - A system event (owner '') reaches whoever may read its channel or subscribed to its type.
 * - An owned event reaches its owner and operators only; never anonymous clients.
 */
export interface Viewer {
  /** The authenticated user id; undefined for an anonymous client. */
  readonly userId: string | undefined;
  /** Operators (the admin scope) see every user's events. */
  readonly operator: boolean;
}

export function ownerAllows(owner: string, viewer: Viewer): boolean {
  if (!owner) return true;
  return viewer.operator || (viewer.userId !== undefined && viewer.userId === owner);
}

/**
 * Whose an event is ('' for a system event): the envelope's owner. A type that can be owned whose
 * producer left the envelope's owner empty while its payload names a user (`user_id`: an alert of a
 * user's rule, a delivery to a user's endpoint) is that user's: a missing envelope field never turns
 * a user's event into everyone's. Every delivery path takes the owner from here.
 */
export function ownerOfEvent(event: events.Event): string {
  if (event.owner || !isEventType(event.type) || EVENT_CATALOG[event.type].visibility === 'system') return event.owner;
  const payload = event.payload as Record<string, unknown> | undefined;
  const data = payload?.[payload.$case as string] as { user_id?: unknown } | undefined;
  return typeof data?.user_id === 'string' ? data.user_id : '';
}

/**
 * ownerAllows as an SQL condition, for delivery paths that match events to recipients in one
 * statement (webhook intake): `owner` and `recipient` are SQL expressions of type text. Webhook
 * endpoints belong to users, so the operator case does not arise there.
 */
export function ownerAllowsSql(owner: string, recipient: string): string {
  return `(${owner} = '' OR ${owner} = ${recipient})`;
}
