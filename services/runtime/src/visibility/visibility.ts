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
 * ownerAllows as an SQL condition, for delivery paths that match events to recipients in one
 * statement (webhook intake): `owner` and `recipient` are SQL expressions of type text. Webhook
 * endpoints belong to users, so the operator case does not arise there.
 */
export function ownerAllowsSql(owner: string, recipient: string): string {
  return `(${owner} = '' OR ${owner} = ${recipient})`;
}
