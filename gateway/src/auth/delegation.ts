import { hasScope, type Principal, type Scope } from './principal';

/** What a credential asks a new API key to hold. */
export interface KeyRequest {
  scopes: readonly Scope[];
  /** Channel patterns; omitted: every channel the creator may read. */
  channels?: readonly string[];
  expiresAt?: Date;
}

export type Delegation =
  { ok: true; scopes: Scope[]; channels: string[]; expiresAt?: Date } | { ok: false; scopes: Scope[]; channels: string[] };

/** Whether every channel `pattern` names is also named by `by` (an exact name, `*`, or a `prefix*`). */
export function patternCovers(by: string, pattern: string): boolean {
  if (by === '*' || by === pattern) return true;
  return by.endsWith('*') && pattern.startsWith(by.slice(0, -1));
}

/**
 * Delegation only goes down: a key created by `creator` gets at most the creator's scopes and the
 * channels the creator may read, and a key made by an expiring API key expires with it at the
 * latest. Returns what the key gets, or what it asked for beyond the creator (refused whole).
 */
export function delegate(creator: Principal, request: KeyRequest): Delegation {
  const scopes = request.scopes.filter((s) => !hasScope(creator, s));
  const wanted = request.channels ?? creator.channels;
  const channels = wanted.filter((c) => !creator.channels.some((by) => patternCovers(by, c)));
  if (scopes.length > 0 || channels.length > 0) return { ok: false, scopes, channels };
  let expiresAt = request.expiresAt;
  if (
    creator.method === 'api_key' &&
    creator.expiresAt !== undefined &&
    (expiresAt === undefined || expiresAt.getTime() > creator.expiresAt)
  ) {
    expiresAt = new Date(creator.expiresAt);
  }
  return { ok: true, scopes: [...request.scopes], channels: [...wanted], ...(expiresAt ? { expiresAt } : {}) };
}
