import { counter, gauge, histogram } from './registry';

export type ConsumeOutcome = 'ok' | 'retry' | 'dead_letter';

/** Kafka figures of one process: produce and consume rates, handler time, consumer lag. */
export interface BusMetrics {
  published(topic: string, count: number, outcome: 'ok' | 'error'): void;
  /** Starts timing one publish (acks=all round trip); call the result when it settled. */
  publishTimer(): () => void;
  consumed(topic: string, group: string, outcome: ConsumeOutcome, seconds: number): void;
  /** Records still to be read on a partition after the last batch this member processed. */
  lag(topic: string, partition: number, group: string, records: number): void;
  /** Drops the lag series of a group member that left (its partitions are someone else's now). */
  forgetLag(group: string, topics: string[]): void;
}

export function busMetrics(): BusMetrics {
  const produced = counter<'topic' | 'outcome'>({
    name: 'marketpulse_kafka_messages_produced_total',
    help: 'Records published to Kafka, by topic and outcome (ok, error).',
    labelNames: ['topic', 'outcome'],
  });
  const publishSeconds = histogram({
    name: 'marketpulse_kafka_publish_duration_seconds',
    help: 'Time for one publish to be durably accepted by Kafka (acks=all), topic creation included.',
  });
  const consumed = counter<'topic' | 'group' | 'outcome'>({
    name: 'marketpulse_kafka_messages_consumed_total',
    help: 'Records handled by a consumer group: ok (committed), retry (handler failed, delivered again), dead_letter (set aside in the dead-letter topic).',
    labelNames: ['topic', 'group', 'outcome'],
  });
  const handleSeconds = histogram<'topic' | 'group'>({
    name: 'marketpulse_kafka_consume_duration_seconds',
    help: 'Time the handler spent on one record.',
    labelNames: ['topic', 'group'],
  });
  const lag = gauge<'topic' | 'partition' | 'group'>({
    name: 'marketpulse_kafka_consumer_lag',
    help: 'Records behind the partition end (high watermark) after the last batch this consumer processed.',
    labelNames: ['topic', 'partition', 'group'],
  });
  const lagSeries = new Map<string, Set<string>>();
  return {
    published: (topic, count, outcome) => produced.inc({ topic, outcome }, count),
    publishTimer: () => publishSeconds.startTimer(),
    consumed(topic, group, outcome, seconds) {
      consumed.inc({ topic, group, outcome });
      handleSeconds.observe({ topic, group }, seconds);
    },
    lag(topic, partition, group, records) {
      lag.set({ topic, partition: String(partition), group }, Math.max(0, records));
      const series = lagSeries.get(group) ?? new Set<string>();
      series.add(`${topic}\u0000${partition}`);
      lagSeries.set(group, series);
    },
    forgetLag(group, topics) {
      const series = lagSeries.get(group);
      if (!series) return;
      for (const key of series) {
        const [topic, partition] = key.split('\u0000');
        if (!topics.includes(topic)) continue;
        lag.remove({ topic, partition, group });
        series.delete(key);
      }
    },
  };
}
