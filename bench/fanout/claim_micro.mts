// In-process micro-benchmark of the publish API's duplicate check (issue 19): DbPublishedIds on
// PGlite, as the gateway runs it by default, claiming 100 new ids per call (one publish request of
// bench/fanout's 100-channel rows). Prints CPU µs per claimed id, each of `--reps` runs on a fresh
// database (the first runs include WebAssembly warm-up). Build first.
//
//   node bench/fanout/claim_micro.mts [--calls N] [--reps N]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { PgliteDatabase } = require('@marketpulse/runtime');
const { DbPublishedIds } = require('@marketpulse/gateway');

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' }, reps: { type: 'string', default: '4' } } });
const calls = Number(values.calls);
const PER_CALL = 100;

async function run(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'claim-micro-'));
  const db = await PgliteDatabase.open({ service: 'gateway', dataDir: dir });
  try {
    const ids = await DbPublishedIds.open(db);
    let n = 0;
    const batch = () => Array.from({ length: PER_CALL }, () => `bench-publisher/r0-s3-${n++}`);
    for (let i = 0; i < 50; i++) await ids.claim(batch());
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await ids.claim(batch());
    const used = process.cpuUsage(start);
    return (used.user + used.system) / (calls * PER_CALL);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const runs: number[] = [];
for (let i = 0; i < Number(values.reps); i++) runs.push(await run());
console.log(`PGlite claim, ${PER_CALL} ids per call: ${runs.map((u) => u.toFixed(1)).join(', ')} µs CPU per claimed id`);
