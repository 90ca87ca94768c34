import { captureLogicalService } from '../telemetry/logical_service';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { events } from '@marketpulse/proto';
import type { ComponentHealth } from '../health/component_health';
import { createLogger, type Logger } from '../log/logger';
import { deadLetterMetrics } from '../metrics/dead_letter_metrics';
import {
  assertPublishable,
  BusError,
  encodeEvent,
  isMarkedDecodedForm,
  topicFor,
  type Bus,
  type SubscribeOptions,
  type Subscription,
} from './bus';
import { consumeRecord } from './consume_record';
import { deadLetterTopic, type HeaderValue, type SourceRecord } from './dead_letter';
import { DEFAULT_HANDLER_RETRY, type HandlerRetryPolicy } from './handler_retry_policy';
import { traceHeaders } from './trace_context';

/**
 * What a record holds: its bytes, or an event (frozen, in decoded form) whose bytes are encoded
 * only if someone asks for them (a dead letter, records()), or both.
 */
export interface RecordContent {
  value?: Uint8Array;
  event?: events.Event;
}

interface StoredRecord extends RecordContent {
  key: string;
  offset: number;
  headers: Record<string, HeaderValue>;
}

function valueOf(record: StoredRecord): Uint8Array {
  return (record.value ??= encodeEvent(record.event!));
}

/** A Buffer over the same bytes (Buffer.from(Uint8Array) would copy them). */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Consumers of every group share a delivered event: frozen, none can change what another sees. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  // Own enumerable fields, as Object.values lists them, without the array it allocates (issue 19: once per event).
  for (const key in value) {
    const field = value[key];
    if (typeof field === 'object' && field !== null && Object.hasOwn(value, key)) deepFreeze(field);
  }
  return value;
}

/**
 * An event as every consumer receives it: the event itself when the publisher marked it as being in
 * decoded form (markDecodedForm), otherwise decoded from its encoding, once for every group. The
 * encoding is made either way for an unmarked event, so the bus refuses what Kafka would.
 */
function contentOf(event: events.Event): RecordContent {
  if (isMarkedDecodedForm(event)) return { event: deepFreeze(event) };
  const value = encodeEvent(event);
  return { value, event: deepFreeze(events.Event.decode(value)) };
}

/**
 * One partition's log: offsets grow forever, only the newest `retention` records are kept, in a
 * ring (record `offset` at `offset % retention`), so an append costs the same once the log is full
 * (dropping the oldest from the front of an array shifted all 10,000 kept: issue 19's profile).
 */
class PartitionLog {
  private readonly ring: StoredRecord[] = [];
  next = 0;

  constructor(
    private readonly retention: number,
    /** `${topic}#${partition}`: the partition's key in a group's positions, made once rather than per record. */
    readonly key: string,
  ) {}

  get first(): number {
    return Math.max(0, this.next - this.retention);
  }

  append(key: string, content: RecordContent, headers: Record<string, HeaderValue>): void {
    const offset = this.next++;
    if (this.retention > 0) this.ring[offset % this.retention] = { key, value: content.value, event: content.event, offset, headers };
  }

  at(offset: number): StoredRecord | undefined {
    return offset >= this.first && offset < this.next ? this.ring[offset % this.retention] : undefined;
  }
}

/** How a member handles records: its handler, and where and when a failing record is set aside. */
export interface MemberConsumer {
  handler: SubscribeOptions['handler'];
  healthy?: SubscribeOptions['healthy'];
  deadLetterTopic: string;
  policy: HandlerRetryPolicy;
  /** Runs the consumption as the subscriber's logical service (the one-process suite). */
  runAs?: <T>(fn: () => T) => T;
}

interface Member extends MemberConsumer {
  id: number;
  topics: Set<string>;
  abort: AbortController;
  inFlight: Set<Promise<unknown>>;
}

interface Group {
  id: string;
  members: Member[];
  /** Next offset to deliver, per `${topic}#${partition}`: the group's committed position. */
  positions: Map<string, number>;
  pumping: Set<string>;
}

export interface MemoryBrokerOptions {
  partitions?: number;
  /** Records kept per partition; older ones are dropped (and skipped by lagging groups). */
  retentionPerPartition?: number;
  logger?: Logger;
}

/**
 * The in-process stand-in for a Kafka cluster: topics of keyed, partitioned logs and consumer groups
 * with committed positions. Several MemoryBus clients (one per service in the single-process suite)
 * share one broker, exactly as several processes share one Kafka cluster.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private nextMemberId = 1;
  readonly partitions: number;
  private readonly retention: number;
  private readonly logger: Logger;
  private readonly deadLetters = deadLetterMetrics();

  constructor(private readonly options: MemoryBrokerOptions = {}) {
    this.partitions = options.partitions ?? 3;
    this.retention = options.retentionPerPartition ?? 10_000;
    this.logger = options.logger ?? createLogger('memory-bus', {}, { level: 'silent' });
  }

  append(topic: string, key: string, content: RecordContent, headers: Record<string, HeaderValue>): void {
    const partition = partitionFor(key, this.partitions);
    this.logs(topic)[partition].append(key, content, headers);
    for (const [, group] of this.groups) this.pump(group, topic, partition);
  }

  join(groupId: string, topics: string[], fromBeginning: boolean, consumer: MemberConsumer): Member {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { id: groupId, members: [], positions: new Map(), pumping: new Set() };
      this.groups.set(groupId, group);
    }
    const member: Member = {
      ...consumer,
      id: this.nextMemberId++,
      topics: new Set(topics),
      abort: new AbortController(),
      inFlight: new Set(),
    };
    group.members.push(member);
    for (const topic of topics) {
      this.logs(topic).forEach((log, partition) => {
        if (!group.positions.has(log.key)) group.positions.set(log.key, fromBeginning ? log.first : log.next);
        this.pump(group, topic, partition);
      });
    }
    return member;
  }

  /** The records a topic still retains, partition by partition (e.g. a dead-letter topic, to inspect it). */
  records(topic: string): { partition: number; offset: string; key: Buffer; value: Buffer; headers: Record<string, HeaderValue> }[] {
    const logs = this.topics.get(topic) ?? [];
    return logs.flatMap((log, partition) => {
      const out = [];
      for (let o = log.first; o < log.next; o++) {
        const r = log.at(o)!;
        out.push({ partition, offset: String(r.offset), key: Buffer.from(r.key), value: Buffer.from(valueOf(r)), headers: r.headers });
      }
      return out;
    });
  }

  async leave(groupId: string, member: Member): Promise<void> {
    const group = this.groups.get(groupId);
    if (!group) return;
    member.abort.abort();
    group.members = group.members.filter((m) => m !== member);
    await Promise.allSettled([...member.inFlight]);
    // Partitions the leaver owned move to the remaining members.
    for (const topic of member.topics) for (let p = 0; p < this.partitions; p++) this.pump(group, topic, p);
  }

  private logs(topic: string): PartitionLog[] {
    let logs = this.topics.get(topic);
    if (!logs) {
      logs = Array.from({ length: this.partitions }, (_, partition) => new PartitionLog(this.retention, `${topic}#${partition}`));
      this.topics.set(topic, logs);
    }
    return logs;
  }

  /** Kafka-like assignment: a partition belongs to one live member of the group at a time. */
  private owner(group: Group, topic: string, partition: number): Member | undefined {
    // Asked for every record: counts instead of building the list of eligible members.
    const eligible = (m: Member) => m.topics.has(topic) && !m.abort.signal.aborted;
    let count = 0;
    for (const m of group.members) if (eligible(m)) count++;
    if (count === 0) return undefined;
    let nth = partition % count;
    for (const m of group.members) if (eligible(m) && nth-- === 0) return m;
    return undefined;
  }

  /** Delivers a partition's records to the group in order, one at a time; one pump per partition. */
  private pump(group: Group, topic: string, partition: number): void {
    const key = this.logs(topic)[partition].key;
    if (group.pumping.has(key) || !group.positions.has(key)) return;
    group.pumping.add(key);
    // Detached from the publisher's context: the consumer span continues the trace via headers.
    void context.with(ROOT_CONTEXT, async () => {
      try {
        await this.drain(group, topic, partition, key, group.id);
      } finally {
        group.pumping.delete(key);
      }
      // A record appended while the drain was finishing found the pump busy; pick it up now.
      if (this.hasWork(group, topic, partition, key)) this.pump(group, topic, partition);
    });
  }

  private hasWork(group: Group, topic: string, partition: number, key: string): boolean {
    const position = group.positions.get(key);
    const log = this.logs(topic)[partition];
    return position !== undefined && Math.max(position, log.first) < log.next && this.owner(group, topic, partition) !== undefined;
  }

  /** Records whose handler keeps failing go to the member's dead-letter topic the way KafkaBus does it (consumeRecord). */
  private async drain(group: Group, topic: string, partition: number, key: string, groupId: string): Promise<void> {
    const log = this.logs(topic)[partition];
    for (;;) {
      let position = group.positions.get(key) ?? log.next;
      if (position < log.first) {
        this.options.logger?.warn(
          { topic, partition, skipped: log.first - position },
          'memory bus: consumer group fell behind retention; skipping dropped events',
        );
        position = log.first;
        group.positions.set(key, position);
      }
      const record = log.at(position);
      const member = this.owner(group, topic, partition);
      if (!record || !member) return;
      const source = new StoredSource(topic, partition, record);
      const consume = () =>
        consumeRecord(
          source,
          {
            group: groupId,
            handler: member.handler,
            healthy: member.healthy,
            policy: member.policy,
            writeDeadLetter: async (letter) =>
              this.append(member.deadLetterTopic, record.key, { value: letter.value ?? new Uint8Array() }, letter.headers),
            logger: this.logger,
            metrics: this.deadLetters,
            observed: () => undefined,
            signal: member.abort.signal,
          },
          record.event,
        );
      const run = member.runAs ? member.runAs(consume) : consume();
      member.inFlight.add(run);
      try {
        // 'abandoned': the member is leaving; the record stays at this position for the next owner.
        if ((await run) !== 'abandoned') group.positions.set(key, position + 1);
      } finally {
        member.inFlight.delete(run);
      }
    }
  }
}

/** A stored record as consumeRecord sees it: key and value bytes are made only if asked for (a dead letter). */
class StoredSource implements SourceRecord {
  readonly offset: string;
  readonly headers: Record<string, HeaderValue>;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly record: StoredRecord,
  ) {
    this.offset = String(record.offset);
    this.headers = record.headers;
  }

  get key(): Buffer {
    return Buffer.from(this.record.key);
  }

  get value(): Buffer {
    return asBuffer(valueOf(this.record));
  }
}

/** FNV-1a: stable, so one subject always lands on one partition (per-subject ordering). */
function partitionFor(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % partitions;
}

let shared: MemoryBroker | undefined;

/** The process-wide broker used by createBus when BUS=memory. */
export function sharedMemoryBroker(logger?: Logger): MemoryBroker {
  shared ??= new MemoryBroker({ logger });
  return shared;
}

export interface MemoryBusOptions {
  broker: MemoryBroker;
  topicPrefix: string;
  /** Retries of a failing handler before its record goes to `${topicPrefix}dead_letter`. */
  handlerRetry?: Partial<HandlerRetryPolicy>;
}

export class MemoryBus implements Bus {
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;
  /** Topic by event type: one string per topic, so the broker's look-ups per record hash no new string. */
  private readonly topics = new Map<string, string>();

  constructor(private readonly options: MemoryBusOptions) {}

  private topicOf(type: string): string {
    let topic = this.topics.get(type);
    if (topic === undefined) this.topics.set(type, (topic = topicFor(this.options.topicPrefix, type)));
    return topic;
  }

  async publish(input: events.Event | events.Event[]): Promise<void> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'publish on a closed bus');
    const list = Array.isArray(input) ? input : [input];
    list.forEach(assertPublishable);
    const headers = traceHeaders();
    // Every event in the form consumers get (contentOf) before any is appended: a payload that cannot
    // cross a process boundary fails here as on Kafka, and the batch is all or nothing.
    const contents = list.map(contentOf);
    list.forEach((e, i) => this.options.broker.append(this.topicOf(e.type), e.subject, contents[i]!, headers));
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'subscribe on a closed bus');
    const topics = opts.types.map((t) => topicFor(this.options.topicPrefix, t));
    // Namespaced like KafkaBus groups: clients with different prefixes never share a group.
    const groupId = `${this.options.topicPrefix}${opts.groupId}`;
    const member = this.options.broker.join(groupId, topics, opts.fromBeginning ?? false, {
      handler: opts.handler,
      // The subscriber's service consumes the record (its spans and logs), not the publisher's.
      runAs: captureLogicalService(),
      healthy: opts.healthy,
      deadLetterTopic: deadLetterTopic(this.options.topicPrefix),
      policy: { ...DEFAULT_HANDLER_RETRY, ...this.options.handlerRetry },
    });
    const subscription: Subscription = {
      close: async () => {
        this.subscriptions.delete(subscription);
        await this.options.broker.leave(groupId, member);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async health(): Promise<ComponentHealth> {
    return this.closed ? { ok: false, detail: 'memory bus closed' } : { ok: true, detail: 'in-process bus' };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }
}
