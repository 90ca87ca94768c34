import { events } from '@marketpulse/proto';
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
  type Producer,
  type TopicPartitionOffset,
} from 'kafkajs';
import { checkWithTimeout, type ComponentHealth } from '../health/component_health';
import type { Logger } from '../log/logger';
import { busMetrics, type BusMetrics } from '../metrics/bus_metrics';
import { assertPublishable, BusError, topicFor, type Bus, type DeliveredEvent, type SubscribeOptions, type Subscription } from './bus';
import { retryDelayMs, sleep } from './retry_backoff';
import './kafkajs_timeout_fix';
import { LazyConnection } from './lazy_connection';
import { inConsumerSpan, traceHeaders } from './trace_context';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  /** Partitions of topics created on demand. */
  partitions: number;
  logger: Logger;
  /** How long health() may wait for the broker, and how long its answer is reused. */
  healthTimeoutMs?: number;
  healthCacheMs?: number;
  /** Overrides of the kafkajs client settings (tests shorten timeouts). */
  kafka?: Partial<KafkaConfig>;
}

/** Bounded client retries: a publish during an outage fails in seconds instead of hanging. */
const CLIENT_RETRY = { initialRetryTime: 300, maxRetryTime: 5000, retries: 6 };

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
      if (level === KafkaLogLevel.ERROR) log.error(fields, message);
      else if (level === KafkaLogLevel.WARN) log.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Repeats `fn` while it fails with an error Kafka calls retriable (a coordinator still loading after
 * a broker start, a leader election), for up to `budgetMs`; kafkajs' admin calls do not all retry.
 */
async function whileRetriable<T>(fn: () => Promise<T>, budgetMs = 30_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() > deadline) throw err;
      await sleep(retryDelayMs(attempt, 100, 2000));
    }
  }
}

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly producer: LazyConnection<Producer>;
  private readonly admin: LazyConnection<Admin>;
  private readonly healthAdmin: LazyConnection<Admin>;
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private healthCache: { at: number; result: ComponentHealth } | undefined;
  private healthInFlight: Promise<ComponentHealth> | undefined;
  private closed = false;
  private readonly metrics: BusMetrics = busMetrics();

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
    this.admin = new LazyConnection(() => this.kafka.admin());
    this.healthAdmin = new LazyConnection(() => this.kafka.admin({ retry: { retries: 0 } }));
  }

  async publish(input: events.Event | events.Event[]): Promise<void> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'publish on a closed bus');
    const list = Array.isArray(input) ? input : [input];
    if (list.length === 0) return;
    list.forEach(assertPublishable);
    const headers = traceHeaders();
    const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
    for (const e of list) {
      const topic = topicFor(this.options.topicPrefix, e.type);
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: e.subject, value: Buffer.from(events.Event.encode(e).finish()), headers: { ...headers, 'event-type': e.type, 'event-id': e.id } });
      byTopic.set(topic, messages);
    }
    const settled = this.metrics.publishTimer();
    try {
      await this.ensureTopics([...byTopic.keys()]);
      const producer = await this.producer.get();
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      for (const [topic, messages] of byTopic) this.metrics.published(topic, messages.length, 'ok');
    } catch (err) {
      for (const [topic, messages] of byTopic) this.metrics.published(topic, messages.length, 'error');
      // Clients that failed (broker restart, fenced producer epoch) start afresh on the next publish.
      this.producer.reset();
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
    const topics = opts.types.map((t) => topicFor(this.options.topicPrefix, t));
    await whileRetriable(() => this.ensureTopics(topics));
    const starts = opts.fromBeginning ? [] : await whileRetriable(() => this.endOffsetsOfNewGroup(opts.groupId, topics));
    const subscription = new KafkaSubscription(this.kafka, topics, opts, this.options.logger, this.metrics, () => this.subscriptions.delete(subscription));
    await subscription.start(starts);
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
    await Promise.all([this.producer.close(), this.admin.close(), this.healthAdmin.close()]);
  }

  private async probe(): Promise<ComponentHealth> {
    const admin = await this.healthAdmin.get();
    const cluster = await admin.describeCluster();
    return { ok: true, detail: `kafka reachable: ${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}` };
  }

  private async ensureTopics(topics: string[]): Promise<void> {
    const missing = topics.filter((t) => !this.knownTopics.has(t));
    if (missing.length === 0) return;
    const admin = await this.admin.get();
    // Asking first keeps the usual case (the topic exists) free of a refused CreateTopics request.
    const existing = new Set(await admin.listTopics());
    const absent = missing.filter((t) => !existing.has(t));
    if (absent.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: absent.map((topic) => ({ topic, numPartitions: this.options.partitions })),
      });
    }
    for (const t of missing) this.knownTopics.add(t);
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

/** One consumer-group member; recreates its consumer when kafkajs gives up on it. */
class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private readonly stopping = new AbortController();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
    private readonly opts: SubscribeOptions,
    private readonly logger: Logger,
    private readonly metrics: BusMetrics,
    private readonly onClosed: () => void,
  ) {}

  async start(starts: TopicPartitionOffset[] = []): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.opts.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
      // Shorter than kafkajs' 30 s: after a broker restart the group waits this long for the members
      // it remembers before it rebalances, which is how long consumption pauses.
      sessionTimeout: 15_000,
      heartbeatInterval: 3000,
      retry: { ...CLIENT_RETRY, restartOnFailure: async () => !this.stopping.signal.aborted },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping.signal.aborted) return;
      // kafkajs does not restart after a non-retriable error; a subscription must outlive any outage.
      this.logger.error({ groupId: this.opts.groupId, err: errorText(payload.error) }, 'kafka consumer crashed; recreating it');
      this.restartTimer = setTimeout(() => void this.restart(consumer), 2000);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      this.metrics.lag(payload.topic, payload.partition, this.opts.groupId, Number(payload.offsetLag)),
    );
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.topics, fromBeginning: this.opts.fromBeginning ?? false });
      // run() resolves once the group is joined, so the assignment is known and seek() applies.
      await consumer.run({ autoCommit: false, eachMessage: (payload) => this.handle(consumer, payload) });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw new BusError('BUS_SUBSCRIBE_FAILED', `could not join consumer group ${this.opts.groupId} for ${this.topics.join(', ')}: ${errorText(err)}`);
    }
    if (starts.length === 0) return;
    for (const start of starts) consumer.seek(start);
    // Committed so that a restart before the first event still starts here, not at a later "latest".
    await consumer.commitOffsets(starts).catch((err: unknown) =>
      this.logger.warn({ groupId: this.opts.groupId, err: errorText(err) }, 'could not commit the start position of a new group'),
    );
  }

  async close(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.restartTimer);
    this.onClosed();
    this.metrics.forgetLag(this.opts.groupId, this.topics);
    await this.consumer?.disconnect();
  }

  private async restart(old: Consumer): Promise<void> {
    if (this.stopping.signal.aborted) return;
    await old.disconnect().catch(() => undefined);
    try {
      await this.start();
    } catch (err) {
      this.logger.error({ groupId: this.opts.groupId, err: errorText(err) }, 'kafka consumer restart failed; trying again');
      this.restartTimer = setTimeout(() => void this.restart(this.consumer ?? old), 5000);
    }
  }

  private async handle(consumer: Consumer, { topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const next = (BigInt(message.offset) + 1n).toString();
    const headers = headerStrings(message.headers);
    let event: events.Event;
    try {
      event = events.Event.decode(message.value ?? new Uint8Array());
    } catch (err) {
      // Retrying cannot make undecodable bytes decodable; skip it loudly rather than block the partition.
      this.logger.error({ topic, partition, offset: message.offset, err: errorText(err) }, 'undecodable record skipped');
      this.metrics.consumed(topic, this.opts.groupId, 'skipped', 0);
      await consumer.commitOffsets([{ topic, partition, offset: next }]);
      return;
    }
    const delivered: DeliveredEvent = { event, topic, partition, offset: message.offset, traceparent: headers.traceparent };
    for (let attempt = 0; ; attempt++) {
      // Leaving without committing means the record is redelivered to whoever owns the partition next.
      if (this.stopping.signal.aborted) throw new BusError('BUS_CLOSED', 'subscription closed before the event was processed');
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        await inConsumerSpan(topic, headers, () => this.opts.handler(delivered), {
          'marketpulse.event.type': event.type,
          'marketpulse.event.subject': event.subject,
          'messaging.message.id': event.id,
          'messaging.consumer.group.name': this.opts.groupId,
        });
        this.metrics.consumed(topic, this.opts.groupId, 'ok', seconds());
        break;
      } catch (err) {
        this.metrics.consumed(topic, this.opts.groupId, 'retry', seconds());
        this.logger.warn(
          { topic, partition, offset: message.offset, event_id: event.id, attempt, err: errorText(err) },
          'event handler failed; the event will be delivered again',
        );
        // Capped well below the session timeout, so the heartbeat below keeps the membership.
        await sleep(retryDelayMs(attempt, 200, 5000), this.stopping.signal);
        // Keeps the group membership alive during long retries; throws on rebalance, which hands
        // the uncommitted record to the partition's new owner.
        await heartbeat();
      }
    }
    await consumer.commitOffsets([{ topic, partition, offset: next }]);
  }
}
