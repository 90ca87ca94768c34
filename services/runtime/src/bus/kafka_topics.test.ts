import { KafkaJSProtocolError, type Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createTopicsWithLeaders } from './kafka_topics';

// What a broker answers for a topic created a moment ago whose metadata has not propagated yet.
const unknownTopic = () =>
  new KafkaJSProtocolError({
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
    message: 'This server does not host this topic-partition',
  } as never);

type Answer = Error | number[];

/** An admin whose metadata answers come from `answers` (leaders per partition, or an error), in turn. */
function fakeAdmin(answers: Answer[]) {
  const calls = { created: [] as string[], metadata: 0 };
  const admin = {
    createTopics: async ({ topics }: { topics: { topic: string }[] }) => {
      calls.created.push(...topics.map((t) => t.topic));
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const answer = answers[Math.min(calls.metadata++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return { topics: topics.map((name) => ({ name, partitions: answer.map((leader, partitionId) => ({ partitionId, leader })) })) };
    },
  } as unknown as Admin;
  return { admin, calls };
}

describe('createTopicsWithLeaders', () => {
  it('waits through "does not host this topic-partition" and leaderless partitions until every partition has a leader', async () => {
    const { admin, calls } = fakeAdmin([unknownTopic(), [-1, 0], [], [0, 0]]);
    await createTopicsWithLeaders(admin, [{ topic: 't.a', numPartitions: 2 }]);
    expect(calls.created).toEqual(['t.a']);
    expect(calls.metadata).toBe(4);
  });

  it('gives up with the broker error once the budget is spent', async () => {
    const { admin } = fakeAdmin([unknownTopic()]);
    await expect(createTopicsWithLeaders(admin, [{ topic: 't.b', numPartitions: 1 }], { budgetMs: 50 })).rejects.toThrow(
      'does not host this topic-partition',
    );
  });

  it('does not retry an error nobody marked retriable', async () => {
    const { admin, calls } = fakeAdmin([new Error('authorization failed'), [0]]);
    await expect(createTopicsWithLeaders(admin, [{ topic: 't.c', numPartitions: 1 }])).rejects.toThrow('authorization failed');
    expect(calls.metadata).toBe(1);
  });
});
