import { counter } from './registry';

/** Records a consumer group gave up on and wrote to the dead-letter topic. */
export interface DeadLetterMetrics {
  deadLettered(sourceTopic: string, group: string, reason: string): void;
}

export function deadLetterMetrics(): DeadLetterMetrics {
  const total = counter<'topic' | 'group' | 'reason'>({
    name: 'marketpulse_kafka_dead_letters_total',
    help: 'Records written to the dead-letter topic, by source topic, consumer group and reason (see services/runtime/DEAD_LETTERS.md).',
    labelNames: ['topic', 'group', 'reason'],
  });
  return { deadLettered: (topic, group, reason) => total.inc({ topic, group, reason }) };
}
