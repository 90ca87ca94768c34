import type { Queryable } from './database';

/**
 * Makes the calling transaction wait for, and then hold until it ends, the turn of `key` within
 * `scope` (a transaction-scoped PostgreSQL advisory lock on their hash). For read-then-write
 * statements that must not interleave per key across processes: a count under a cap, a next
 * number, a queue's last slot. Other keys, and statements that take no turn, are not held up.
 */
export async function takeKeyTurn(tx: Pick<Queryable, 'query'>, scope: string, key: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))`, [scope, key]);
}
