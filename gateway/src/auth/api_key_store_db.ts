import { createHash, randomBytes } from 'node:crypto';
import { assertValid, checkTimestamp, takeKeyTurn, type Database } from '@marketpulse/runtime';
import { DEFAULT_API_KEYS_MAX_PER_USER, tooManyApiKeys } from './api_key_limit';
import type { ApiKeyRecord, ApiKeyStore, NewApiKey } from './api_key_store';
import { isScope } from './principal';

export const API_KEY_MIGRATIONS = [
  {
    id: '001_create_api_keys',
    sql: `CREATE TABLE IF NOT EXISTS api_keys (
      id text PRIMARY KEY,
      user_id text NOT NULL,
      name text NOT NULL,
      prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      scopes text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys (user_id)`,
  },
  {
    // Keys made before keys carried channels were made with every channel.
    id: '002_api_key_channels',
    sql: `ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS channels text NOT NULL DEFAULT '*'`,
  },
];

/** Keys look like `mpk_<32 random base64url chars>`; only their SHA-256 is kept. */
export const API_KEY_PATTERN = /^mpk_[A-Za-z0-9_-]{32}$/;

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

interface Row {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string;
  channels: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
}

/** A stored time as ISO text; one no Date can hold (a row written before expiries were checked) reads as null rather than failing the whole list. */
function iso(v: Date | string | null): string | null {
  if (v === null) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

function toRecord(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    user_id: r.user_id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes.split(' ').filter(isScope),
    channels: r.channels.split(' ').filter(Boolean),
    created_at: iso(r.created_at)!,
    last_used_at: iso(r.last_used_at),
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
  };
}

const COLUMNS = 'id, user_id, name, prefix, scopes, channels, created_at, last_used_at, expires_at, revoked_at';

/** A key that still opens the API: what the cap counts and what a list always shows. */
const LIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())';

export interface ApiKeyLimits {
  /** API_KEYS_MAX_PER_USER: live keys one user may hold; also how many revoked or expired ones a list shows. */
  maxPerUser: number;
}

/** API keys in the gateway's own schema (runtime's openDatabase: PostgreSQL or PGlite). */
export class DbApiKeyStore implements ApiKeyStore {
  private readonly revokedListeners = new Set<(id: string) => void>();

  private constructor(
    private readonly db: Database,
    private readonly limits: ApiKeyLimits,
  ) {}

  static async open(db: Database, limits: ApiKeyLimits = { maxPerUser: DEFAULT_API_KEYS_MAX_PER_USER }): Promise<DbApiKeyStore> {
    await db.migrate(API_KEY_MIGRATIONS);
    return new DbApiKeyStore(db, limits);
  }

  async create(input: NewApiKey): Promise<{ record: ApiKeyRecord; key: string }> {
    // Checked here too, so that no caller can store an expiry this store (or PGlite's parser) cannot read back.
    if (input.expiresAt !== undefined) assertValid(checkTimestamp(input.expiresAt, { field: 'expires_at' }));
    const key = `mpk_${randomBytes(24).toString('base64url')}`;
    const id = `key_${randomBytes(8).toString('hex')}`;
    const max = this.limits.maxPerUser;
    // The user's creates take turns (on every instance sharing the database), so two at once
    // cannot both count room for the last key.
    const row = await this.db.transaction(async (tx) => {
      await takeKeyTurn(tx, 'gateway.api_keys', input.userId);
      const { rows: counted } = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM api_keys WHERE user_id = $1 AND ${LIVE}`, [
        input.userId,
      ]);
      if (Number(counted[0]?.n ?? 0) >= max) throw tooManyApiKeys(max);
      const { rows } = await tx.query<Row>(
        `INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, channels, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [
          id,
          input.userId,
          input.name,
          key.slice(0, 10),
          hash(key),
          input.scopes.join(' '),
          input.channels.join(' '),
          input.expiresAt ?? null,
        ],
      );
      return rows[0]!;
    });
    return { record: toRecord(row), key };
  }

  async list(userId: string): Promise<ApiKeyRecord[]> {
    // Every live key (a credential its owner must be able to find and revoke), but only the newest
    // dead ones: revoking and creating again would otherwise grow the answer without end.
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM (
         (SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 AND ${LIVE})
         UNION ALL
         (SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 AND NOT (${LIVE}) ORDER BY created_at DESC, id LIMIT $2)
       ) AS shown ORDER BY created_at DESC, id`,
      [userId, this.limits.maxPerUser],
    );
    return rows.map(toRecord);
  }

  async revoke(userId: string, id: string): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id',
      [id, userId],
    );
    if (rows.length === 0) return false;
    for (const listener of this.revokedListeners) listener(id);
    return true;
  }

  async deadKeys(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ id: string }>(
      'SELECT id FROM api_keys WHERE id = ANY($1::text[]) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
      [[...ids]],
    );
    const live = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !live.has(id));
  }

  onRevoked(listener: (id: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => {
      this.revokedListeners.delete(listener);
    };
  }

  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!API_KEY_PATTERN.test(key)) return undefined;
    const { rows } = await this.db.query<Row>(
      `UPDATE api_keys SET last_used_at = now()
       WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
       RETURNING ${COLUMNS}`,
      [hash(key)],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }
}
