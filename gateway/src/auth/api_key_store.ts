import type { Scope } from './principal';

export interface ApiKeyRecord {
  id: string;
  user_id: string;
  name: string;
  /** First characters of the key, to tell keys apart in a list; the key itself is never stored. */
  prefix: string;
  scopes: Scope[];
  /** Channel patterns it may read (with the read scope): at most those of the credential that created it. */
  channels: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface NewApiKey {
  userId: string;
  name: string;
  scopes: Scope[];
  channels: readonly string[];
  expiresAt?: Date;
}

/** API keys, stored hashed; the plain key exists only in create()'s answer. */
export interface ApiKeyStore {
  /** Refused with TOO_MANY_API_KEYS (RESOURCE_EXHAUSTED) when the user already holds the store's most live keys. */
  create(input: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }>;
  /** The user's live keys, and as many of their newest revoked or expired ones as a user may hold live, newest first. */
  list(userId: string): Promise<ApiKeyRecord[]>;
  /** False when no live key of that user has this id. */
  revoke(userId: string, id: string): Promise<boolean>;
  /** The live (not revoked, not expired) key's record, or undefined. */
  verify(key: string): Promise<ApiKeyRecord | undefined>;
  /** Of `ids`, those naming no live key (revoked, expired or unknown), in one query. */
  deadKeys(ids: readonly string[]): Promise<string[]>;
  /** Calls `listener` with a key's id right after revoke() succeeds on this store; returns a function that stops the calls. */
  onRevoked(listener: (id: string) => void): () => void;
}
