// Shared by the benchmarks that use a real broker: every run uses a fresh topic prefix, so a run
// that left its topics behind would leave the broker a little heavier for every later run (one
// development broker held 1,300 partitions of old runs, and its garbage collector paused every
// second or two).
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

/** Tries to delete a run's consumer groups this many times, a second apart. */
const GROUP_ATTEMPTS = 5;

/** What the broker said about each group it would not delete (kafkajs's KafkaJSDeleteGroupsError), else the error. */
function groupProblems(err: unknown): string {
  const groups = (err as { groups?: Array<{ groupId: string; error?: { type?: string; message?: string } }> }).groups;
  if (!Array.isArray(groups)) return String(err);
  return groups.map((g) => `${g.groupId}: ${g.error?.type ?? g.error?.message ?? 'refused'}`).join(', ');
}

/** Deletes the topics and consumer groups named with `prefix` (the bus namespaces group ids by it); reports, never throws. */
export async function deleteBenchTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-cleanup', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
  } catch (err) {
    console.error(`could not reach the broker to delete the bench topics and groups ${prefix}*: ${String(err)}`);
    return;
  }
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch (err) {
    console.error(`could not delete the bench topics ${prefix}*: ${String(err)}`);
  }
  // A consumer that has just stopped can still be a member of its group for a moment, and the
  // broker refuses to delete a group with members (NON_EMPTY_GROUP): try again until it has left.
  for (let attempt = 1; ; attempt++) {
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
      if (groups.length > 0) await admin.deleteGroups(groups);
      break;
    } catch (err) {
      if (attempt === GROUP_ATTEMPTS) {
        console.error(`could not delete the bench consumer groups ${prefix}* (its topics are gone): ${groupProblems(err)}`);
        break;
      }
      await sleep(1000);
    }
  }
  await admin.disconnect().catch(() => undefined);
}
