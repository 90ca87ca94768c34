import { context, type Context } from '@opentelemetry/api';

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
  /** Publishes share a send only within one trace context (see below). */
  traceKey: string;
  context: Context;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Turns concurrent publishes into few sends: while one send is in flight (the idempotent producer
 * allows one per broker anyway), later publishes queue, and the next send carries every queued one
 * up to the limits. Sends go out one at a time, in call order, so one subject's events keep the
 * order their publishes were called in.
 *
 * The kafkajs instrumentation starts each record's producer span in the context active at the
 * send and writes that span's traceparent into the record: publishes of different traces therefore
 * never share a send, or the consumer would continue the wrong trace. Without tracing every
 * publish has the same (empty) context and all of them coalesce.
 */
export class SendCoalescer {
  private readonly queue: Waiting[] = [];
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly send: (records: OutgoingRecord[]) => Promise<void>,
    private readonly limits: SendLimits,
  ) {}

  /** Resolves once a send holding these records was acknowledged; rejects with that send's error. */
  submit(records: OutgoingRecord[], traceKey: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((sum, r) => sum + r.value.length + r.key.length, 0);
      this.queue.push({ records, bytes, traceKey, context: context.active(), resolve, reject });
      this.pumping ??= this.pump();
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
        await context.with(group[0].context, () => this.send(group.flatMap((w) => w.records)));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.pumping = undefined;
  }

  /** The head of the queue and the publishes right behind it of the same trace, within the limits. */
  private takeGroup(): Waiting[] {
    const group = [this.queue.shift()!];
    let records = group[0].records.length;
    let bytes = group[0].bytes;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.traceKey !== group[0].traceKey) break;
      if (records + next.records.length > this.limits.maxRecords || bytes + next.bytes > this.limits.maxBytes) break;
      group.push(this.queue.shift()!);
      records += next.records.length;
      bytes += next.bytes;
    }
    return group;
  }
}
