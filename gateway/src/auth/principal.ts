/** What each scope lets a credential do. */
export const SCOPES = {
  read: 'read market data, predictions, monitoring, and its own webhooks, rules and alerts; read WebSocket channels',
  'webhooks:write': 'create, change, test and delete its own webhooks',
  'rules:write': 'create, change and delete its own alert rules, and acknowledge alerts',
  'scheduler:trigger': 'run provider-monitor scheduler jobs now',
  'models:write': 'train, deploy and roll back prediction models, and run backtests',
  'keys:write': 'create and revoke its own API keys',
  publish: 'publish events through the publish API',
  'publish:any-owner': "with publish: publish events owned by any user (the publish API's owner); without it, only by the caller itself",
  'ops:read': 'read /info and /ws/stats when authentication is required (WS_AUTH_REQUIRED)',
  admin: "act as an operator: see every user's resources and system rules",
} as const;

export type Scope = keyof typeof SCOPES;

export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

export function isScope(s: string): s is Scope {
  return Object.prototype.hasOwnProperty.call(SCOPES, s);
}

/** The authenticated caller of a request or a WebSocket connection. */
export interface Principal {
  /** Owner id (the token's `user_id` or `sub`, the API key's user), passed to services as `user_id`. */
  readonly userId: string;
  readonly scopes: readonly Scope[];
  /**
   * Channel patterns it may read: an exact name, `*` for every channel, or a prefix ending in `*`
   * (`market-data:*`). From a JWT's `channels` claim (every channel without one); none without
   * the `read` scope.
   */
  readonly channels: readonly string[];
  readonly method: 'jwt' | 'api_key' | 'anonymous';
  /** The API key's id when method is api_key and the key was created through the API. */
  readonly keyId?: string;
  /** When the credential stops being valid (epoch ms): an open WebSocket is closed then. */
  readonly expiresAt?: number;
}

/** A WebSocket client without a token while WS_AUTH_REQUIRED is false. */
export const ANONYMOUS: Principal = { userId: 'anonymous', scopes: ['read'], channels: ['*'], method: 'anonymous' };

/** `admin` holds every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

/** The channel patterns a credential with these scopes may use: none without `read`. */
export function readableChannels(scopes: readonly Scope[], patterns: readonly string[]): readonly string[] {
  return scopes.includes('read') || scopes.includes('admin') ? patterns : [];
}

export function canRead(principal: Principal, channel: string): boolean {
  return principal.channels.some((p) => p === '*' || p === channel || (p.endsWith('*') && channel.startsWith(p.slice(0, -1))));
}

/** The user_id sent to services: empty for operators (they see every user's resources). */
export function ownerFilter(principal: Principal): string {
  return principal.scopes.includes('admin') ? '' : principal.userId;
}
