import { counter, gauge, histogram, LATENCY_BUCKETS } from '@marketpulse/runtime';

export type ResumeSource = 'memory' | 'kafka';
export type ResumeOutcome = 'recovered' | 'past_retention' | 'failed';

export interface ResumeMetrics {
  /** One resume finished: where its events came from, how it ended, how many, how long it took. */
  read(source: ResumeSource, outcome: ResumeOutcome, events: number, seconds: number): void;
}

/**
 * Resume reads (count, events, duration, by source: the in-memory history or Kafka) and the size of
 * what resume keeps in memory (publications in channel histories, the publications themselves, entries of the id index).
 */
export function resumeMetrics(sizes: { history: () => number; held: () => number; index: () => number }): ResumeMetrics {
  const reads = counter<'source' | 'outcome'>({
    name: 'marketpulse_gateway_resume_reads_total',
    help: 'WebSocket/tRPC resumes (a position or a since id), by where the missed events came from (memory, kafka) and outcome.',
    labelNames: ['source', 'outcome'],
  });
  const events = counter<'source'>({
    name: 'marketpulse_gateway_resume_events_total',
    help: 'Events replayed to resuming clients, by source (memory history or Kafka read-back).',
    labelNames: ['source'],
  });
  const duration = histogram<'source'>({
    name: 'marketpulse_gateway_resume_read_duration_seconds',
    help: 'Time from a resume request to its last replayed event, by source.',
    labelNames: ['source'],
    buckets: [...LATENCY_BUCKETS, 30, 60],
  });
  gauge({
    name: 'marketpulse_gateway_history_publications',
    help: 'Publications held in the in-memory channel histories (one on two channels counts twice).',
    collect() {
      this.set(sizes.history());
    },
  });
  gauge({
    name: 'marketpulse_gateway_history_held_publications',
    help: 'Publications the in-memory channel histories hold, each once however many channels hold it.',
    collect() {
      this.set(sizes.held());
    },
  });
  gauge({
    name: 'marketpulse_gateway_resume_index_entries',
    help: 'Entries of the event-id-to-Kafka-position index that resume reads back from.',
    collect() {
      this.set(sizes.index());
    },
  });
  return {
    read(source, outcome, n, seconds) {
      reads.inc({ source, outcome });
      if (n > 0) events.inc({ source }, n);
      duration.observe({ source }, seconds);
    },
  };
}
