// Shared by the benchmarks that use a real broker: every run uses a fresh topic prefix, so a run
// that left its topics behind would leave the broker a little heavier for every later run (one
// development broker held 1,300 partitions of old runs, and its garbage collector paused every
// second or two).
import { Kafka, logLevel } from 'kafkajs';

/** Deletes the topics and consumer groups named with `prefix` (the bus namespaces group ids by it); reports, never throws. */
export async function deleteBenchTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } catch (err) {
    console.error(`could not delete the bench topics ${prefix}*: ${String(err)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
