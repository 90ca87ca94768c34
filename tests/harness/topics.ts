import { Kafka, logLevel } from 'kafkajs';
// The vitest main process (global setup) talks to Kafka too, and vitest's execArgv that silences
// kafkajs' TimeoutNegativeWarning reaches only the workers: patch the timer instead (loading the
// runtime applies its kafkajs timer fix).
import '@marketpulse/runtime';
import { runId } from './context';
import { ownerPid, processAlive, randomSuffix, sanitizeLabel, TEST_NAME_PREFIX } from './names';

/**
 * A topic prefix no other suite or run uses, ending in "." (pass it as KAFKA_TOPIC_PREFIX), e.g.
 * "mpt.4242_lz3k9a.alerting.1a2b3c.". The run's topics are deleted at global teardown.
 */
export function uniqueTopicPrefix(label: string): string {
  return `${TEST_NAME_PREFIX}.${runId()}.${sanitizeLabel(label, 60)}.${randomSuffix()}.`;
}

async function deleteTopicsWhere(brokers: string, keep: (topic: string) => boolean): Promise<number> {
  const kafka = new Kafka({
    clientId: 'marketpulse-test-cleanup',
    brokers: brokers.split(','),
    connectionTimeout: 2000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => !keep(t));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    return topics.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function deleteRunTopics(brokers: string, id: string): Promise<number> {
  const prefix = `${TEST_NAME_PREFIX}.${id}.`;
  return deleteTopicsWhere(brokers, (t) => !t.startsWith(prefix));
}

/** Deletes topics left by runs whose process is gone. */
export function deleteStaleTopics(brokers: string): Promise<number> {
  return deleteTopicsWhere(brokers, (t) => {
    const pid = ownerPid(t);
    return pid === undefined || processAlive(pid);
  });
}
