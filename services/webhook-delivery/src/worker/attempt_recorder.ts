import { classifyFailure } from '@marketpulse/runtime';
import type { AttemptRecord, AttemptOutcome, ClaimedDelivery, DeliveryStore, RecordedAttempt } from '../store/delivery_store';
import type { EndpointStore } from '../store/endpoint_store';
import type { Queryable, TransactionalDb } from '../store/queryable';
import { WriteBatcher } from '../store/write_batcher';

const MAX_BATCH = 500;

export interface FinishedAttempt extends RecordedAttempt {
  /** Set when the receiver asked us to stop sending to this endpoint (410 Gone). */
  disableReason?: string;
}

export interface RecordResult {
  /** False when the worker's lease had run out and another worker owns the delivery now. */
  current: boolean;
  /** The reason, when this attempt turned its endpoint off. */
  disabledBy?: string;
}

/**
 * Records finished attempts, batching those that finish at about the same time: one statement for
 * the attempts, the deliveries and the endpoints' successes; failures add their endpoint's failure
 * clock (or a 410's disable) in the same transaction.
 */
export class AttemptRecorder {
  private readonly batcher: WriteBatcher<FinishedAttempt, RecordResult>;

  constructor(private readonly deps: { db: TransactionalDb; deliveries: DeliveryStore; endpoints: EndpointStore; disableAfterMs: number }) {
    // An attempt the database refuses (a value of it) fails alone: the others batched with it, other
    // users' deliveries among them, would otherwise be sent again after their lease as well.
    this.batcher = new WriteBatcher(
      (batch) => this.writeBatch(batch),
      MAX_BATCH,
      (err) => classifyFailure(err) === 'poison',
    );
  }

  record(claim: ClaimedDelivery, attempt: AttemptRecord, outcome: AttemptOutcome, disableReason?: string): Promise<RecordResult> {
    return this.batcher.write({ claim, attempt, outcome, disableReason });
  }

  private writeBatch(batch: FinishedAttempt[]): Promise<RecordResult[]> {
    const write = async (db: Queryable): Promise<RecordResult[]> => {
      const moved = await this.deps.deliveries.recordAttempts(db, batch);
      const results: RecordResult[] = batch.map((a) => ({ current: moved.has(a.claim.id) }));
      const disabled = new Set<string>();
      for (const [n, a] of batch.entries()) {
        if (!a.disableReason || disabled.has(a.claim.endpoint_id)) continue;
        disabled.add(a.claim.endpoint_id);
        if (await this.deps.endpoints.disable(db, a.claim.endpoint_id, a.disableReason)) results[n].disabledBy = a.disableReason;
      }
      // The failure clock follows each endpoint's last attempt in the batch, as if they were recorded one by one.
      const last = new Map(batch.map((a, n) => [a.claim.endpoint_id, n]));
      for (const [endpointId, n] of last) {
        if (batch[n].attempt.succeeded || disabled.has(endpointId)) continue;
        const reason = await this.deps.endpoints.recordFailure(db, endpointId, this.deps.disableAfterMs);
        if (reason) results[n].disabledBy = reason;
      }
      return results;
    };
    const allSucceeded = batch.every((a) => a.attempt.succeeded);
    // One statement needs no transaction around it.
    return allSucceeded ? write(this.deps.db) : this.deps.db.transaction(write);
  }
}
