import { context, ROOT_CONTEXT } from '@opentelemetry/api';

export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Records and bytes after which no further publish joins a send; one publish is never split. */
export interface SendLimits {
  maxRecords: number;
  maxBytes: number;
}

interface Waiting {
  records: OutgoingRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Turns concurrent publishes into few sends: while one send is in flight (the idempotent producer
 * allows one per broker anyway), later publishes queue, and the next send carries every queued one
 * up to the limits. Sends go out one at a time, in call order, so one subject's events keep the
 * order their publishes were called in; a failed send fails what is queued behind it (pump).
 *
 * Publishes of any traces share a send: each record carries its own trace headers already
 * (send_spans.ts), so the context a send runs in is nobody's, and sends run outside any trace.
 */
export class SendCoalescer {
  private readonly queue: Waiting[] = [];
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly send: (records: OutgoingRecord[]) => Promise<void>,
    private readonly limits: SendLimits,
  ) {}

  /** Resolves once a send holding these records was acknowledged; rejects with that send's error. */
  submit(records: OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((sum, r) => sum + r.value.length + r.key.length, 0);
      this.queue.push({ records, bytes, resolve, reject });
      // Not in the first publisher's context: what the sends log or start belongs to no one trace.
      this.pumping ??= context.with(ROOT_CONTEXT, () => this.pump());
    });
  }

  /** Resolves once everything submitted so far has settled. */
  async drain(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private async pump(): Promise<void> {
    // One turn of the event loop: publishes called in the same turn share the first send.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      try {
        await this.send(group.flatMap((w) => w.records));
        for (const w of group) w.resolve();
      } catch (err) {
        // Everything queued behind a failed send fails with it, unsent: a later send must not land
        // while an earlier one did not, or a publisher that hands a batch over in several publishes
        // (market-data's trace runs) and publishes it again whole would put one subject's events out
        // of order. Publishes submitted after this one are sent as usual.
        for (const w of [...group, ...this.queue.splice(0)]) w.reject(err);
      }
    }
    this.pumping = undefined;
  }

  /** The head of the queue and the publishes right behind it, within the limits. */
  private takeGroup(): Waiting[] {
    const group = [this.queue.shift()!];
    let records = group[0].records.length;
    let bytes = group[0].bytes;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (records + next.records.length > this.limits.maxRecords || bytes + next.bytes > this.limits.maxBytes) break;
      group.push(this.queue.shift()!);
      records += next.records.length;
      bytes += next.bytes;
    }
    return group;
  }
}
