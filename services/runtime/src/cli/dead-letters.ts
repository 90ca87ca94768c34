#!/usr/bin/env node
// Lists and re-publishes dead letters (services/runtime/DEAD_LETTERS.md):
//   node services/runtime/dist/cli/dead-letters.js list [--topic T] [--since S] [--position P:O]... [--limit N]
//   node services/runtime/dist/cli/dead-letters.js republish [same filters] [--dry-run]
// Reads KAFKA_BROKERS and KAFKA_TOPIC_PREFIX like every service. Prints one JSON line per dead letter.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { readDeadLetters, republishDeadLetters, type DeadLetterEntry, type DeadLetterFilter } from '../bus/dead_letter_store';
import { commonConfigSchema } from '../config/common_config';
import { ConfigError } from '../config/config_error';
import { loadConfig } from '../config/load_config';
import { createLogger } from '../log/logger';

const USAGE = `usage: dead-letters <list|republish> [--topic <event type or topic>] [--since <ISO time or 30m|6h|2d>]
                    [--position <partition:offset>]... [--limit <n>] [--dry-run]
  list       prints each dead letter of \${KAFKA_TOPIC_PREFIX}dead_letter as a JSON line
  republish  sends the selected dead letters' original records back to their source topics`;

class UsageError extends Error {}

/** `2026-12-05T18:00:00Z`, or a span back from now: `30m`, `6h`, `2d`. */
export function parseSince(text: string, now = Date.now()): Date {
  const span = /^(\d{1,6})([smhd])$/.exec(text);
  if (span) return new Date(now - Number(span[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[span[2] as 's' | 'm' | 'h' | 'd']);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--since: expected an ISO time or a span such as 30m, 6h, 2d; got '${text}'`);
  return new Date(at);
}

function filterOf(values: { topic?: string; since?: string; position?: string[]; limit?: string }): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (values.topic) filter.topic = values.topic;
  if (values.since) filter.since = parseSince(values.since);
  if (values.position?.length) {
    for (const p of values.position) if (!/^\d+:\d+$/.test(p)) throw new UsageError(`--position: expected partition:offset, got '${p}'`);
    filter.positions = values.position;
  }
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit: expected a positive integer, got '${values.limit}'`);
    filter.limit = n;
  }
  return filter;
}

/** One JSON line a person or jq reads: where the record came from, why, and what it carried. */
function line(e: DeadLetterEntry): string {
  return JSON.stringify({
    position: e.position,
    at: e.at,
    source: { topic: e.source.topic, partition: e.source.partition, offset: e.source.offset },
    group: e.group,
    reason: e.failure.reason,
    message: e.failure.message,
    attempts: e.attempts,
    event: e.event ?? null,
    key: e.source.key?.toString('utf8') ?? null,
    headers: Object.fromEntries(Object.entries(e.source.headers).map(([k, v]) => [k, v.toString()])),
    value_base64: e.source.value?.toString('base64') ?? null,
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      topic: { type: 'string' },
      since: { type: 'string' },
      position: { type: 'string', multiple: true },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, ...extra] = positionals;
  if ((command !== 'list' && command !== 'republish') || extra.length > 0) throw new UsageError(USAGE);
  const config = loadConfig(
    z.object({ KAFKA_BROKERS: commonConfigSchema.shape.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: commonConfigSchema.shape.KAFKA_TOPIC_PREFIX }),
  );
  const logger = createLogger('dead-letters', {}, { level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });
  const store = { brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()), topicPrefix: config.KAFKA_TOPIC_PREFIX, logger };
  const letters = await readDeadLetters(store, filterOf(values));
  for (const e of letters) console.log(line(e));
  if (command === 'republish' && !values['dry-run']) {
    const sent = await republishDeadLetters(store, letters);
    console.error(`re-published ${sent} dead letter(s) to their source topics`);
  } else if (command === 'republish') {
    console.error(`dry run: would re-publish ${letters.length} dead letter(s)`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (
        err instanceof UsageError ||
        err instanceof ConfigError ||
        (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
      ) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(`dead-letters: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
