import { events } from '@marketpulse/proto';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type EachMessagePayload,
  type IHeaders,
  type KafkaConfig,
  type LogEntry,
  type Message,
  type Producer,
  type TopicPartitionOffset,
} from 'kafkajs';
import { checkWithTimeout, type ComponentHealth } from '../health/component_health';
import type { Logger } from '../log/logger';
import { busMetrics, type BusMetrics } from '../metrics/bus_metrics';
import { deadLetterMetrics, type DeadLetterMetrics } from '../metrics/dead_letter_metrics';
import { assertPublishable, BusError, topicFor, type Bus, type SubscribeOptions, type Subscription } from './bus';
import { consumeRecord } from './consume_record';
import { deadLetterTopic, type OutgoingDeadLetter } from './dead_letter';
import { DEFAULT_HANDLER_RETRY, type HandlerRetryPolicy } from './handler_retry_policy';
import { whileRetriable } from './kafka_retry';
import { createTopicsWithLeaders } from './kafka_topics';
import { sleep } from './retry_backoff';
import './kafkajs_timeout_fix';
import { LazyConnection } from './lazy_connection';
import { OffsetCommitter, type CommitCadence } from './offset_committer';
import { SendCoalescer, type OutgoingRecord, type SendLimits } from './send_coalescer';
import { endSendSpans, outgoingRecords } from './send_spans';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /**
   * Prefix of every topic (`${topicPrefix}${event type}`) and of every consumer group: the group
   * joined for subscribe({ groupId }) is `${topicPrefix}${groupId}`, so deployments or test runs
   * with different prefixes on one cluster never share a group. Callers pass the bare group id.
   */
  topicPrefix: string;
  /** Partitions of topics created on demand. */
  partitions: number;
  logger: Logger;
  /** How long health() may wait for the broker, and how long its answer is reused. */
  healthTimeoutMs?: number;
  healthCacheMs?: number;
  /** Overrides of the kafkajs client settings (tests shorten timeouts). */
  kafka?: Partial<KafkaConfig>;
  /**
   * Partitions one subscription handles side by side (each partition still one record at a time,
   * in order). Default: its topics times `partitions`, at most 16.
   */
  partitionsConsumedConcurrently?: number;
  /** How long subscribe() keeps retrying retriable start-up errors (a leader not elected yet, a coordinator loading). */
  subscribeRetryBudgetMs?: number;
  /** Retries of a failing handler before its record is dead-lettered (BUS_HANDLER_MAX_ATTEMPTS, BUS_RETRY_BACKOFF_MAX_MS). */
  handlerRetry?: Partial<HandlerRetryPolicy>;
}

/** Bounded client retries: a publish during an outage fails in seconds instead of hanging. */
const CLIENT_RETRY = { initialRetryTime: 300, maxRetryTime: 5000, retries: 6 };

/**
 * Handled offsets are committed in the background (OffsetCommitter) after this many records or
 * this long, and at once on rebalance and close. A crash redelivers at most what was handled in
 * that window: the at-least-once contract, without a commit round trip per record.
 */
const COMMIT_CADENCE: CommitCadence = { everyRecords: 1000, everyMs: 500 };
const CLOSE_COMMIT_WAIT_MS = 5000;

/** A record batch above 1 MiB is refused by a default broker; a send is bounded well below. */
const SEND_LIMITS: SendLimits = { maxRecords: 2000, maxBytes: 512 * 1024 };

function kafkaLogCreator(logger: Logger) {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as LogEntry['log'] & { logger?: string };
      const fields = { namespace, ...rest };
      // The connection logs every error response at error level before kafkajs decides what it
      // means: "topic already exists" (success for createTopics), "not the leader" or "group is
      // rebalancing" (retried). A failure that matters reaches the caller as a thrown error or a
      // consumer crash, which is logged where it is handled.
      if (namespace === 'Connection' && message.startsWith('Response ')) return log.debug(fields, message);
      // Bounded producer retries are deliberate (a publish during an outage fails instead of hanging);
      // duplicates they may cause are expected, consumers deduplicate on Event.id.
      if (message.startsWith('Limiting retries for the idempotent producer')) return log.debug(fields, message);
      // Each retried send, e.g. to a partition whose new leader is not serving yet right after the
      // topic was created; a send that finally fails reaches the caller as BUS_PUBLISH_FAILED.
      if (namespace === 'Producer' && message.startsWith('Failed to send messages')) return log.debug(fields, message);
      if (level === KafkaLogLevel.ERROR) log.error(fields, message);
      else if (level === KafkaLogLevel.WARN) log.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}

/** The record's headers as sent (a repeated header keeps its first value). */
function headerValues(headers: IHeaders | undefined): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly producer: LazyConnection<Producer>;
  /** Its own client, made on the first dead letter: the idempotent producer's sends stay the coalescer's alone. */
  private readonly deadLetterProducer: LazyConnection<Producer>;
  private readonly admin: LazyConnection<Admin>;
  private readonly healthAdmin: LazyConnection<Admin>;
  private readonly knownTopics = new Set<string>();
  private readonly topicChecks = new Map<string, Promise<void>>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private healthCache: { at: number; result: ComponentHealth } | undefined;
  private healthInFlight: Promise<ComponentHealth> | undefined;
  private closed = false;
  private readonly metrics: BusMetrics = busMetrics();
  private readonly deadLetterMetrics: DeadLetterMetrics = deadLetterMetrics();
  private readonly sends: SendCoalescer;
  private readonly handlerRetry: HandlerRetryPolicy;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      retry: CLIENT_RETRY,
      logLevel: KafkaLogLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
      ...options.kafka,
    });
    this.producer = new LazyConnection(() =>
      this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    );
    this.deadLetterProducer = new LazyConnection(() => this.kafka.producer({ allowAutoTopicCreation: false }));
    this.admin = new LazyConnection(() => this.kafka.admin());
    this.healthAdmin = new LazyConnection(() => this.kafka.admin({ retry: { retries: 0 } }));
    this.sends = new SendCoalescer((records) => this.send(records), SEND_LIMITS);
    this.handlerRetry = { ...DEFAULT_HANDLER_RETRY, ...options.handlerRetry };
  }

  async publish(input: events.Event | events.Event[]): Promise<void> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'publish on a closed bus');
    const list = Array.isArray(input) ? input : [input];
    if (list.length === 0) return;
    list.forEach(assertPublishable);
    const { records, spans } = outgoingRecords(list, (type) => topicFor(this.options.topicPrefix, type));
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
    const settled = this.metrics.publishTimer();
    try {
      // Awaited only when a topic is new, so concurrent publishes reach the coalescer in call order.
      if ([...counts.keys()].some((t) => !this.knownTopics.has(t))) await this.ensureTopics([...counts.keys()]);
      await this.sends.submit(records);
      endSendSpans(spans);
      for (const [topic, count] of counts) this.metrics.published(topic, count, 'ok');
    } catch (err) {
      endSendSpans(spans, err);
      for (const [topic, count] of counts) this.metrics.published(topic, count, 'error');
      // A client that failed (broker restart) starts afresh on the next use.
      this.admin.reset();
      throw new BusError(
        'BUS_PUBLISH_FAILED',
        `could not publish ${list.length} event(s) to Kafka at ${this.options.brokers.join(',')}: ${errorText(err)}`,
      );
    } finally {
      settled();
    }
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'subscribe on a closed bus');
    const groupId = `${this.options.topicPrefix}${opts.groupId}`;
    const topics = opts.types.map((t) => topicFor(this.options.topicPrefix, t));
    try {
      return await whileRetriable(() => this.startSubscription(groupId, topics, opts), {
        budgetMs: this.options.subscribeRetryBudgetMs ?? 30_000,
        stop: () => this.closed,
        onRetry: (err, attempt) => {
          this.options.logger.warn({ groupId, attempt, err: errorText(err) }, 'kafka not ready for the subscription yet; retrying');
          // Its cached metadata may name a leader that is not serving yet; a fresh client asks again.
          this.admin.reset();
        },
      });
    } catch (err) {
      if (err instanceof BusError) throw err;
      throw new BusError('BUS_SUBSCRIBE_FAILED', `could not join consumer group ${groupId} for ${topics.join(', ')}: ${errorText(err)}`);
    }
  }

  private async startSubscription(groupId: string, topics: string[], opts: SubscribeOptions): Promise<KafkaSubscription> {
    await this.ensureTopics(topics);
    const starts = opts.fromBeginning ? [] : await this.endOffsetsOfNewGroup(groupId, topics);
    const concurrency = this.options.partitionsConsumedConcurrently ?? Math.min(16, topics.length * this.options.partitions);
    const subscription = new KafkaSubscription(
      this.kafka,
      groupId,
      topics,
      concurrency,
      opts,
      {
        logger: this.options.logger,
        metrics: this.metrics,
        deadLetterMetrics: this.deadLetterMetrics,
        handlerRetry: this.handlerRetry,
        writeDeadLetter: (record) => this.writeDeadLetter(record),
      },
      () => this.subscriptions.delete(subscription),
    );
    await subscription.start(starts);
    if (this.closed) {
      await subscription.close();
      throw new BusError('BUS_CLOSED', 'the bus was closed while subscribing');
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** ok=false while no broker answers a metadata request within the timeout; cached briefly. */
  health(): Promise<ComponentHealth> {
    const cacheMs = this.options.healthCacheMs ?? 1000;
    if (this.healthCache && Date.now() - this.healthCache.at < cacheMs) return Promise.resolve(this.healthCache.result);
    this.healthInFlight ??= checkWithTimeout(() => this.probe(), this.options.healthTimeoutMs ?? 2000)
      .then((result) => {
        this.healthCache = { at: Date.now(), result };
        if (!result.ok) this.healthAdmin.reset();
        return result;
      })
      .finally(() => {
        this.healthInFlight = undefined;
      });
    return this.healthInFlight;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
    await this.sends.drain();
    await Promise.all([this.producer.close(), this.deadLetterProducer.close(), this.admin.close(), this.healthAdmin.close()]);
  }

  private async probe(): Promise<ComponentHealth> {
    const admin = await this.healthAdmin.get();
    const cluster = await admin.describeCluster();
    return { ok: true, detail: `kafka reachable: ${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}` };
  }

  /** Appends one record to the dead-letter topic (acks=all); rejects while the broker is away. */
  private async writeDeadLetter(record: OutgoingDeadLetter): Promise<void> {
    const topic = deadLetterTopic(this.options.topicPrefix);
    try {
      await this.ensureTopics([topic]);
      const producer = await this.deadLetterProducer.get();
      await producer.send({ topic, acks: -1, messages: [record] });
    } catch (err) {
      this.deadLetterProducer.reset();
      this.admin.reset();
      throw err;
    }
  }

  /** One producer request (acks=all) for the records of any number of coalesced publishes. */
  private async send(records: OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, key, value, headers } of records) {
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key, value, headers });
      byTopic.set(topic, messages);
    }
    try {
      const producer = await this.producer.get();
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (err) {
      // A producer that failed (broker restart, fenced epoch) starts afresh on the next send.
      this.producer.reset();
      throw err;
    }
  }

  /** Creates the topics that do not exist yet; concurrent callers share one check per topic. */
  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.knownTopics.has(t) && !this.topicChecks.has(t));
    if (missing.length > 0) {
      const check = this.createMissing(missing);
      for (const t of missing) this.topicChecks.set(t, check);
      void check
        .then(
          () => missing.forEach((t) => this.knownTopics.add(t)),
          () => undefined,
        )
        .finally(() => missing.forEach((t) => this.topicChecks.delete(t)));
    }
    await Promise.all(topics.filter((t) => !this.knownTopics.has(t)).flatMap((t) => this.topicChecks.get(t) ?? []));
  }

  private async createMissing(topics: string[]): Promise<void> {
    const admin = await this.admin.get();
    // Asking first keeps the usual case (the topic exists) free of a refused CreateTopics request.
    const existing = new Set(await admin.listTopics());
    const absent = topics.filter((t) => !existing.has(t));
    if (absent.length === 0) return;
    await createTopicsWithLeaders(
      admin,
      absent.map((topic) => ({ topic, numPartitions: this.options.partitions })),
    );
  }

  /**
   * For a group with no committed position: the current end offsets. Starting there (instead of
   * kafkajs' "latest", resolved only at the first fetch after the group join) means every event
   * published after subscribe() resolves is delivered.
   */
  private async endOffsetsOfNewGroup(groupId: string, topics: string[]): Promise<TopicPartitionOffset[]> {
    const admin = await this.admin.get();
    const committed = await admin.fetchOffsets({ groupId, topics });
    const starts: TopicPartitionOffset[] = [];
    for (const { topic, partitions } of committed) {
      const unset = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
      if (unset.size === 0) continue;
      for (const end of await admin.fetchTopicOffsets(topic)) {
        if (unset.has(end.partition)) starts.push({ topic, partition: end.partition, offset: end.high });
      }
    }
    return starts;
  }
}

interface SubscriptionDeps {
  logger: Logger;
  metrics: BusMetrics;
  deadLetterMetrics: DeadLetterMetrics;
  handlerRetry: HandlerRetryPolicy;
  writeDeadLetter: (record: OutgoingDeadLetter) => Promise<void>;
}

/** One consumer-group member; recreates its consumer when kafkajs gives up on it. */
class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private committer: OffsetCommitter | undefined;
  private readonly inHand = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    /** The group joined: the caller's group id namespaced by the topic prefix. */
    private readonly groupId: string,
    private readonly topics: string[],
    private readonly concurrency: number,
    private readonly opts: SubscribeOptions,
    private readonly deps: SubscriptionDeps,
    private readonly onClosed: () => void,
  ) {
    this.logger = deps.logger;
    this.metrics = deps.metrics;
  }

  private readonly logger: Logger;
  private readonly metrics: BusMetrics;

  /** Joins the group; on failure the consumer is disconnected and kafkajs' error thrown as is. */
  async start(starts: TopicPartitionOffset[] = []): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
      // Shorter than kafkajs' 30 s: after a broker restart the group waits this long for the members
      // it remembers before it rebalances, which is how long consumption pauses.
      sessionTimeout: 15_000,
      heartbeatInterval: 3000,
      retry: { ...CLIENT_RETRY, restartOnFailure: async () => !this.stopping.signal.aborted },
    });
    const committer = new OffsetCommitter(
      (offsets) => consumer.commitOffsets(offsets),
      COMMIT_CADENCE,
      (err, offsets) =>
        this.logger.warn(
          { groupId: this.groupId, offsets, err: errorText(err) },
          'could not commit consumed offsets; a later commit covers them, or their events are delivered again',
        ),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping.signal.aborted) return;
      committer.discard();
      // kafkajs does not restart after a non-retriable error; a subscription must outlive any outage.
      this.logger.error({ groupId: this.groupId, err: errorText(payload.error) }, 'kafka consumer crashed; recreating it');
      this.restartTimer = setTimeout(() => void this.restart(consumer), 2000);
    });
    // Commit what was handled before the partitions move, so their next owner does not repeat it.
    consumer.on(consumer.events.REBALANCING, () => void committer.flush());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      committer.retainOnly((topic, partition) => payload.memberAssignment[topic]?.includes(partition) ?? false),
    );
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      this.metrics.lag(payload.topic, payload.partition, this.groupId, Number(payload.offsetLag)),
    );
    this.consumer = consumer;
    this.committer = committer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.topics, fromBeginning: this.opts.fromBeginning ?? false });
      // run() resolves once the group is joined, so the assignment is known and seek() applies. Its
      // fetch loop runs outside the caller's context: a span active at subscribe() is no record's.
      await context.with(ROOT_CONTEXT, () =>
        consumer.run({
          autoCommit: false,
          // Each partition is still handled one record at a time, in offset order (per-subject order).
          partitionsConsumedConcurrently: this.concurrency,
          eachMessage: (payload) => {
            const handling: Promise<void> = this.handle(committer, payload).finally(() => this.inHand.delete(handling));
            this.inHand.add(handling);
            return handling;
          },
        }),
      );
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    if (starts.length === 0) return;
    for (const start of starts) consumer.seek(start);
    // Committed so that a restart before the first event still starts here, not at a later "latest".
    await consumer
      .commitOffsets(starts)
      .catch((err: unknown) =>
        this.logger.warn({ groupId: this.groupId, err: errorText(err) }, 'could not commit the start position of a new group'),
      );
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.restartTimer);
    this.onClosed();
    this.metrics.forgetLag(this.groupId, this.topics);
    // The records in hand finish (one waiting to be retried gives up at once, uncommitted), their
    // offsets are committed while the consumer is still a member, then it leaves the group.
    await Promise.allSettled([...this.inHand]);
    // Bounded: during an outage the commit's own retries would hold a shutdown for many seconds.
    const gaveUp = new AbortController();
    await Promise.race([this.committer?.flush(), sleep(CLOSE_COMMIT_WAIT_MS, gaveUp.signal)]);
    gaveUp.abort();
    await this.consumer?.disconnect();
  }

  private async restart(old: Consumer): Promise<void> {
    if (this.stopping.signal.aborted) return;
    await old.disconnect().catch(() => undefined);
    try {
      await this.start();
    } catch (err) {
      this.logger.error({ groupId: this.groupId, err: errorText(err) }, 'kafka consumer restart failed; trying again');
      this.restartTimer = setTimeout(() => void this.restart(this.consumer ?? old), 5000);
    }
  }

  /**
   * Handles one record (consumeRecord: bounded retries, then the dead-letter topic) and marks it
   * handled, which lets its offset be committed. A record left unmarked (the subscription closing,
   * or a rebalance during retries, which makes heartbeat() throw) is delivered again to whoever
   * owns the partition next.
   */
  private async handle(committer: OffsetCommitter, { topic, partition, message, heartbeat, pause }: EachMessagePayload): Promise<void> {
    const outcome = await consumeRecord(
      { topic, partition, offset: message.offset, key: message.key, value: message.value, headers: headerValues(message.headers) },
      {
        group: this.groupId,
        handler: this.opts.handler,
        healthy: this.opts.healthy,
        policy: this.deps.handlerRetry,
        writeDeadLetter: this.deps.writeDeadLetter,
        logger: this.logger,
        metrics: this.deps.deadLetterMetrics,
        observed: (outcome, seconds) => this.metrics.consumed(topic, this.groupId, outcome, seconds),
        signal: this.stopping.signal,
        // Keeps the group membership alive during long retries; throws on rebalance, which hands
        // the unhandled record to the partition's new owner.
        betweenAttempts: heartbeat,
      },
    );
    // Closing: kafkajs stops at a paused partition, and this record stays uncommitted.
    if (outcome === 'abandoned') {
      pause();
      return;
    }
    committer.handled(topic, partition, message.offset);
  }
}
