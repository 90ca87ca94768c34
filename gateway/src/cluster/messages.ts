import type { Migration } from '@marketpulse/runtime';

/**
 * What the gateway's primary and its workers say to each other over node:cluster's IPC channel
 * (V8 serialization: byte arrays, dates and rows cross as they are). Both ends are one build forked
 * from one dist on one host, never a network boundary, so the envelope is typed here; the events it
 * carries are the contract's protobuf encoding (events.Event).
 */

/** The embedded database the primary holds for its workers (PGlite admits one process). */
export interface DatabaseInfo {
  kind: 'postgres' | 'pglite';
  schema: string;
}

export type DatabaseOp =
  | { op: 'query'; sql: string; params?: unknown[] }
  | { op: 'exec'; sql: string }
  | { op: 'migrate'; migrations: Migration[] }
  | { op: 'health' };

export type ToPrimary =
  /** The worker serves: its bound ports and instance id. */
  | { t: 'ready'; httpPort: number; nativePort: number | null; publishPort: number | null; instanceId: string }
  /** Events published on a worker (in-memory bus): the primary hands them to every worker, then replies. */
  | { t: 'publish'; id: number; events: Uint8Array[]; headers: Record<string, string> }
  /** A call on the primary's database; answered by a `reply` with the same id. */
  | ({ t: 'db'; id: number } & DatabaseOp)
  /** Every worker's metrics, summed by prom-client's AggregatorRegistry (the Prometheus text); answered by a `reply`. */
  | { t: 'metrics'; id: number };

/** Events published on some worker, in the one order the primary received them. */
export interface Relay {
  t: 'relay';
  events: Uint8Array[];
  headers: Record<string, string>;
}

export type ToWorker =
  /**
   * First message to a forked worker: the database it reaches through the primary, if any, and the
   * newest publications of the in-memory bus (empty at the first start), for its history.
   */
  | { t: 'hello'; database: DatabaseInfo | null; backlog: Relay[] }
  | Relay
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: { message: string; code?: string } };

/** Name of the variable the primary sets on each worker it forks: the worker's slot, 1..GATEWAY_WORKERS. */
export const WORKER_SLOT_ENV = 'MP_GATEWAY_WORKER_SLOT';

/** The slot of this process when the primary forked it, else undefined (a single-process gateway or the primary). */
export function workerSlot(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const slot = Number(env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot > 0 ? slot : undefined;
}
