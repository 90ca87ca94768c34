import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// A process started with a bad variable stops at once, exit code 2, with one JSON line that names
// every bad variable, what was expected and what was given.
const entries = ['market-data', 'prediction', 'alerting', 'webhook-delivery', 'provider-monitor'].map((s) => [s, `services/${s}/dist/main.js`]);

describe('configuration errors at start-up', () => {
  it.each(entries)('%s exits 2 naming each bad variable', (service, entry) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, entry)], {
      env: { PATH: process.env.PATH, BUS: 'rabbitmq', KAFKA_PARTITIONS: 'many' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { level: string; service: string; code: string; problems: string[] };
    expect(line).toMatchObject({ level: 'fatal', service, code: 'CONFIG_INVALID' });
    expect(line.problems.join('\n')).toMatch(/BUS: expected memory or kafka, got 'rabbitmq'/);
    expect(line.problems.join('\n')).toMatch(/KAFKA_PARTITIONS/);
  });
});
