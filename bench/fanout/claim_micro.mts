// In-process micro-benchmark of the publish API's duplicate check (issue 19): DbPublishedIds on
// PGlite, as the gateway runs it by default, claiming 100 new ids per call (one publish request of
// bench/fanout's 100-channel rows). Prints CPU µs per claimed id, each of `--reps` runs on a fresh
// database (the first runs include WebAssembly warm-up), the claim alone and with the confirmation
// a publish makes once the bus took its events (since session 18). Then MemoryPublishedIds, the in-memory
// bus's store, with its default bound (PUBLISH_ID_MEMORY_MAX, 500,000): below the bound, and once
// it holds that many ids and forgets the oldest on every claim. Build first.
//
//   node bench/fanout/claim_micro.mts [--calls N] [--reps N]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { PgliteDatabase } = require('@marketpulse/runtime');
const { DbPublishedIds, MemoryPublishedIds } = require('@marketpulse/gateway');

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' }, reps: { type: 'string', default: '4' } } });
const calls = Number(values.calls);
const PER_CALL = 100;

async function run(confirm: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'claim-micro-'));
  const db = await PgliteDatabase.open({ service: 'gateway', dataDir: dir });
  try {
    const ids = await DbPublishedIds.open(db);
    let n = 0;
    const batch = () => Array.from({ length: PER_CALL }, () => `bench-publisher/r0-s3-${n++}`);
    for (let i = 0; i < 50; i++) await ids.claim(batch());
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      const claimed = batch();
      await ids.claim(claimed);
      if (confirm) await ids.confirm(claimed);
    }
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
const confirmed: number[] = [];
for (let i = 0; i < Number(values.reps); i++) {
  runs.push(await run(false));
  confirmed.push(await run(true));
}
console.log(`PGlite claim, ${PER_CALL} ids per call: ${runs.map((u) => u.toFixed(1)).join(', ')} µs CPU per claimed id`);
console.log(`PGlite claim and confirm, ${PER_CALL} ids per call: ${confirmed.map((u) => u.toFixed(1)).join(', ')} µs CPU per claimed id`);

/** CPU µs per claimed id of `count` calls of `per` new ids each. */
async function claimCost(
  ids: { claim(ids: string[]): Promise<string[]>; confirm(ids: string[]): Promise<void> },
  count: number,
  per: number,
): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const claimed = Array.from({ length: per }, () => `bench-publisher/m-${memoryN++}`);
    await ids.claim(claimed);
    await ids.confirm(claimed);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (count * per);
}
let memoryN = 0;
const memory = new MemoryPublishedIds();
await claimCost(memory, 4_000, 100); // 400,000 ids: below the bound
const below = await claimCost(memory, 5_000, 1);
await claimCost(memory, 1_000, 100); // at the bound from here on
const atBound = [await claimCost(memory, 5_000, 1), await claimCost(memory, 1_000, 100), await claimCost(memory, 5_000, 1)];
console.log(
  `memory claim and confirm: ${below.toFixed(1)} µs CPU per claimed id below the bound (1 id per call); at the bound ` +
    `${atBound[0]!.toFixed(1)} (1 per call), ${atBound[1]!.toFixed(1)} (100 per call), ${atBound[2]!.toFixed(1)} (1 per call again)`,
);
