/** What each scope lets a credential do. */
export const SCOPES = {
  read: 'read market data, predictions, monitoring, and its own webhooks, rules and alerts',
  'webhooks:write': 'create, change, test and delete its own webhooks',
  'rules:write': 'create, change and delete its own alert rules, and acknowledge alerts',
  'scheduler:trigger': 'run provider-monitor scheduler jobs now',
  'models:write': 'train, deploy and roll back prediction models, and run backtests',
  'keys:write': 'create and revoke its own API keys',
  publish: 'publish events through the publish API',
  admin: 'act as an operator: see every user\'s resources and system rules',
} as const;

export type Scope = keyof typeof SCOPES;

export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

export function isScope(s: string): s is Scope {
  return Object.prototype.hasOwnProperty.call(SCOPES, s);
}

/** The authenticated caller of one request. */
export interface Principal {
  /** Owner id passed to services as `user_id`. */
  readonly userId: string;
  readonly scopes: readonly Scope[];
  readonly method: 'jwt' | 'api_key';
  /** The API key's id when method is api_key. */
  readonly keyId?: string;
}

/** `admin` holds every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

/** The user_id sent to services: empty for operators (they see every user's resources). */
export function ownerFilter(principal: Principal): string {
  return principal.scopes.includes('admin') ? '' : principal.userId;
}
