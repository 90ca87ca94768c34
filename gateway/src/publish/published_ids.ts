/**
 * Event ids the publish API accepted, so that publishing an id again is answered as a duplicate
 * instead of being put on the bus and silently dropped by every consumer; ids older than the
 * retention are forgotten. The ids live where the bus keeps its events (issue 19), as Centrifugo's
 * idempotency keys live in its broker: in the database with Kafka, shared by every gateway instance
 * (published_ids_db.ts); in this process's memory with the in-memory bus, whose events do not
 * outlive the process either (published_ids_memory.ts). On the embedded default the database claim
 * was half the CPU of a published event (bench/fanout, 100 × 100 @ 10: 148–162 µs → 74–88).
 */
export interface PublishedIds {
  /**
   * Records every id of `ids` not yet known; returns those already known (then records none). An id
   * claimed by a publish that was never confirmed nor released (its gateway stopped before the bus
   * answered) stays known until PUBLISH_ID_LEASE_SECONDS after that claim, and is then claimed anew.
   */
  claim(ids: readonly string[]): Promise<string[]>;
  /** The bus took the events of these claimed ids: from now on they are duplicates for good. */
  confirm(ids: readonly string[]): Promise<void>;
  /** Forgets ids claimed for events the bus then refused, so a retry is not a duplicate. */
  release(ids: readonly string[]): Promise<void>;
  /** Of ids `claim` refused, those whose publish was not confirmed (still running, or its gateway stopped). */
  unfinished(ids: readonly string[]): Promise<UnfinishedClaim[]>;
}

/** An id claimed by a publish that has not been confirmed. */
export interface UnfinishedClaim {
  id: string;
  /** Seconds until a claim may take it over (at least 1). */
  retryAfterSeconds: number;
}

/** PUBLISH_ID_RETENTION_HOURS' default: a week. */
export const DEFAULT_PUBLISH_ID_RETENTION_HOURS = 168;

/**
 * PUBLISH_ID_LEASE_SECONDS' default: longer than the Kafka bus keeps retrying one publish (six
 * retries from 300 ms up to 5 s apart, about 15 s), so a claim is taken over only from a publish
 * that can no longer finish.
 */
export const DEFAULT_PUBLISH_ID_LEASE_SECONDS = 60;

/**
 * Each claim's answer when `calls` were claimed one after another on a database where exactly the
 * ids of `inserted` were new, as one statement inserted them: a call takes the new ids not taken by
 * an earlier call, or, if any of its ids is known, none (its known ids are its answer, and what it
 * would have taken stays free for later calls). `release`: the inserted ids no call took.
 */
export function settleClaims(
  calls: readonly (readonly string[])[],
  inserted: ReadonlySet<string>,
): { known: string[][]; release: string[] } {
  const taken = new Set<string>();
  const known = calls.map((ids) => {
    const refused = ids.filter((id) => !inserted.has(id) || taken.has(id));
    if (refused.length === 0) for (const id of ids) taken.add(id);
    return refused;
  });
  return { known, release: [...inserted].filter((id) => !taken.has(id)) };
}
