import { randomUUID } from 'node:crypto';

/** `wh_3f2a...`: a prefix says what the id names, as in the seed's `wh_123`. */
export function newId(prefix: 'wh' | 'dlv' | 'msg'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
