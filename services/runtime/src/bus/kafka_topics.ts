import type { Admin, ITopicConfig } from 'kafkajs';
import { whileRetriable } from './kafka_retry';

/** Thrown (marked retriable) while a created topic has a partition without a serving leader. */
class LeadersPending extends Error {
  readonly retriable = true;
}

export interface CreateTopicsOptions {
  /** How long to wait for every partition's leader; the last error is thrown after it. */
  budgetMs?: number;
}

/**
 * Creates the topics that do not exist and resolves once every partition of every one has a
 * leader, so a produce or fetch that follows is not refused.
 *
 * kafkajs' own `createTopics({ waitForLeaders: true })` retries only LEADER_NOT_AVAILABLE while it
 * waits; the broker may also answer UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this
 * topic-partition") until the new topic's metadata has propagated, and kafkajs then throws although
 * the topic was created (a calling retry would find it existing and skip the wait). So the topics
 * are created without kafkajs' wait, and the metadata is polled here, every retriable answer
 * counting as "not yet".
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: ITopicConfig[],
  { budgetMs = 30_000 }: CreateTopicsOptions = {},
): Promise<void> {
  if (topics.length === 0) return;
  await admin.createTopics({ waitForLeaders: false, topics });
  const names = topics.map((t) => t.topic);
  await whileRetriable(
    async () => {
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      const pending = metadata.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (pending.length > 0) throw new LeadersPending(`no leader yet for a partition of ${pending.map((t) => t.name).join(', ')}`);
    },
    { budgetMs },
  );
}
