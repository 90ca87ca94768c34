import { createRequire } from 'node:module';
import { Kafka, logLevel as KafkaLogLevel, type Admin } from 'kafkajs';
import { decodeFetchResponse, FETCH_VERSION, type FetchedTopic } from './fetch_response';
import { decodeRecordBatches } from './record_batches';

/** `${topic}/${partition}`: `/` cannot occur in a Kafka topic name. */
export type PartitionKey = string;

export function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}/${partition}`;
}

export function splitPartitionKey(key: PartitionKey): { topic: string; partition: number } {
  const at = key.lastIndexOf('/');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/** One record read back from a partition. */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Kafka timestamp in ms (the producer's create time). */
  readonly timestamp: number;
  /** The record's key: the event's subject, as the contract (event.proto) and the runtime's bus write it. */
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** Offsets [from, to) of one partition to read. */
export interface ReadRange {
  readonly key: PartitionKey;
  from: number;
  /** Grows when the read must go further (a resume whose held live events were dropped). */
  to: number;
  /** Bytes asked for this partition per fetch; grows while a record batch does not fit. */
  maxBytes?: number;
}

/** The first offset still held and the next offset to be written, per partition. */
export interface PartitionBounds {
  readonly low: number;
  readonly high: number;
}

/** Thrown when a range starts before the partition's log start: those records are past retention. */
export class PastRetentionError extends Error {
  constructor(readonly key: PartitionKey) {
    super(`records of ${key} are past Kafka's retention`);
    this.name = 'PastRetentionError';
  }
}

/** kafkajs's request of a protocol API, as its connection sends it; its response decoder is ours. */
interface ProtocolRequest {
  request: object;
  response: { decode(payload: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
  requestTimeout?: number;
}

interface Broker {
  /** The broker's API versions (ApiVersions), by API key. */
  versions: Record<number, { maxVersion: number } | undefined>;
  connectionPool: { send(request: ProtocolRequest): Promise<unknown> };
}

type FetchRequestEncoder = (fields: object) => object;
const FETCH_API_KEY = 1;
/** kafkajs's encoder of a Fetch request (version 11); the response is decoded by fetch_response.ts. */
const fetchRequest = createRequire(__filename)(`kafkajs/src/protocol/requests/fetch/v${FETCH_VERSION}/request`) as FetchRequestEncoder;

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
}

const OFFSET_OUT_OF_RANGE = 1;
/** How long one Fetch may take (it never waits for data: maxWaitTime 0). */
const FETCH_TIMEOUT_MS = 30_000;
/** Bytes a fetch returns per partition: bounds one chunk of decoding on the event loop. */
const PARTITION_FETCH_BYTES = 128 * 1024;
/** A record batch larger than this (the broker's default message.max.bytes is 1 MiB) is not read back. */
const MAX_PARTITION_FETCH_BYTES = 64 * 1024 * 1024;

/**
 * Reads partitions of the event topics from given offsets, outside any consumer group: what
 * resume and the start-up warm-up need (assign and seek). kafkajs offers only group consumers, so
 * this uses its cluster client (the one its consumer and admin are built on) for metadata and
 * Fetch requests; kafkajs is pinned, and this file is the only place that reaches inside it.
 */
export class KafkaLog {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;
  /** Shared by concurrent first reads, so they neither open two clients nor read one's half-loaded metadata. */
  private cluster: Promise<Cluster> | undefined;
  /** Per topic, its metadata being (or done being) loaded into the cluster client. */
  private readonly topics = new Map<string, Promise<void>>();

  constructor(brokers: string[], clientId: string) {
    this.kafka = new Kafka({ clientId, brokers, connectionTimeout: 3000, retry: { retries: 3 }, logLevel: KafkaLogLevel.NOTHING });
  }

  /** Low and high offsets of every partition of `topics` (missing topics are skipped). */
  async bounds(topics: readonly string[]): Promise<Map<PartitionKey, PartitionBounds>> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const out = new Map<PartitionKey, PartitionBounds>();
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      for (const p of await admin.fetchTopicOffsets(topic))
        out.set(partitionKey(topic, p.partition), { low: Number(p.low), high: Number(p.high) });
    }
    return out;
  }

  /** The cluster's id: part of the epoch of position tokens (position_token.ts). */
  async clusterId(): Promise<string> {
    return (await (await this.adminClient()).describeCluster()).clusterId;
  }

  /** Per partition of `topics`, the first offset whose timestamp is at or after `timestamp` (the high offset when none). */
  async offsetsAt(topics: readonly string[], timestamp: number): Promise<Map<PartitionKey, number>> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const out = new Map<PartitionKey, number>();
    for (const topic of topics) {
      if (!existing.has(topic)) continue;
      for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, timestamp))
        out.set(partitionKey(topic, p.partition), Number(p.offset));
    }
    return out;
  }

  /**
   * One Fetch round over the ranges not yet done: at most PARTITION_FETCH_BYTES per partition.
   * Returns each range's records in offset order and advances `from` past them. A range whose
   * start fell out of retention throws PastRetentionError.
   */
  async fetch(ranges: readonly ReadRange[]): Promise<Map<PartitionKey, LogRecord[]>> {
    const cluster = await this.clusterClient(ranges.map((r) => splitPartitionKey(r.key).topic));
    const byLeader = new Map<string, Map<string, ReadRange[]>>();
    for (const range of ranges) {
      if (range.from >= range.to) continue;
      const { topic, partition } = splitPartitionKey(range.key);
      const leaders = cluster.findLeaderForPartitions(topic, [partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) throw new Error(`no leader known for ${range.key}`);
      const topicsOf = byLeader.get(nodeId) ?? new Map<string, ReadRange[]>();
      byLeader.set(nodeId, topicsOf);
      topicsOf.set(topic, [...(topicsOf.get(topic) ?? []), range]);
    }
    const out = new Map<PartitionKey, LogRecord[]>();
    await Promise.all(
      [...byLeader].map(async ([nodeId, topicsOf]) => {
        const broker = await cluster.findBroker({ nodeId });
        const response = await this.send(broker, {
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes: [...topicsOf.values()].flat().reduce((n, r) => n + (r.maxBytes ?? PARTITION_FETCH_BYTES), 0),
          topics: [...topicsOf].map(([topic, list]) => ({
            topic,
            partitions: list.map((r) => ({
              partition: splitPartitionKey(r.key).partition,
              fetchOffset: String(r.from),
              maxBytes: r.maxBytes ?? PARTITION_FETCH_BYTES,
            })),
          })),
        });
        for (const { topic, partitions } of response) {
          for (const part of partitions) {
            const key = partitionKey(topic, part.partition);
            const range = topicsOf.get(topic)?.find((r) => r.key === key);
            if (!range) continue;
            if (part.errorCode === OFFSET_OUT_OF_RANGE) throw new PastRetentionError(key);
            if (part.errorCode !== 0) throw new Error(`fetch of ${key} failed with Kafka error code ${part.errorCode}`);
            // A fetch returns whole batches: records before the asked offset come along, and are skipped.
            const { records, next } = decodeRecordBatches(
              part.records,
              { topic, partition: part.partition, from: range.from, to: range.to },
              part.abortedTransactions,
            );
            if (next > range.from) {
              range.from = next;
              range.maxBytes = undefined;
            } else {
              // Nothing at or past `from` came back: the batch holding it is larger than what was
              // asked (the broker sends a whole batch only to the first partition of a response).
              const grown = (range.maxBytes ?? PARTITION_FETCH_BYTES) * 2;
              if (grown > MAX_PARTITION_FETCH_BYTES)
                throw new Error(`a record batch of ${key} at offset ${range.from} is larger than ${MAX_PARTITION_FETCH_BYTES} bytes`);
              range.maxBytes = grown;
            }
            out.set(key, records);
          }
        }
      }),
    );
    return out;
  }

  /** Connects and loads the metadata of `topics` (their leaders) ahead of the first fetch. */
  async prepare(topics: readonly string[]): Promise<void> {
    await this.clusterClient(topics);
  }

  /** One Fetch request, its record sets left as bytes (kafkajs would decode every record into objects first). */
  private async send(broker: Broker, fields: object): Promise<FetchedTopic[]> {
    const supported = broker.versions[FETCH_API_KEY]?.maxVersion ?? -1;
    if (supported < FETCH_VERSION)
      throw new Error(
        `the Kafka broker answers Fetch up to version ${supported}; reading back needs version ${FETCH_VERSION} (Kafka 2.3+)`,
      );
    const decoded = await broker.connectionPool.send({
      request: fetchRequest(fields),
      response: { decode: async (payload) => decodeFetchResponse(payload), parse: async (decoded) => decoded },
      requestTimeout: FETCH_TIMEOUT_MS,
    });
    const { errorCode, topics } = decoded as ReturnType<typeof decodeFetchResponse>;
    if (errorCode !== 0) throw new Error(`the Fetch request failed with Kafka error code ${errorCode}`);
    return topics;
  }

  async close(): Promise<void> {
    const { admin, cluster } = this;
    this.admin = undefined;
    this.cluster = undefined;
    this.topics.clear();
    await Promise.allSettled([admin?.disconnect(), cluster?.then((c) => c.disconnect())]);
  }

  private async adminClient(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async clusterClient(topics: readonly string[]): Promise<Cluster> {
    const connecting = (this.cluster ??= this.connectCluster());
    let cluster: Cluster;
    try {
      cluster = await connecting;
    } catch (err) {
      // The next read tries again.
      if (this.cluster === connecting) this.cluster = undefined;
      throw err;
    }
    const fresh = [...new Set(topics)].filter((t) => !this.topics.has(t));
    if (fresh.length > 0) {
      const adding = cluster.addMultipleTargetTopics(fresh);
      for (const topic of fresh) this.topics.set(topic, adding);
      // A topic whose metadata did not load is asked for again by the next read.
      void adding.catch(() => {
        for (const topic of fresh) if (this.topics.get(topic) === adding) this.topics.delete(topic);
      });
    }
    await Promise.all(topics.flatMap((t) => this.topics.get(t) ?? []));
    return cluster;
  }

  private async connectCluster(): Promise<Cluster> {
    const create = Object.getOwnPropertySymbols(this.kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (!create) throw new Error('this kafkajs version has no cluster client to read partitions with');
    const cluster = (this.kafka as unknown as Record<symbol, (o: object) => Cluster>)[create]!({ allowAutoTopicCreation: false });
    await cluster.connect();
    return cluster;
  }
}
