import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The runtime keeps what every process shares (gRPC, Kafka, database, health); a family one
// service records (webhook, provider, alert, WebSocket, gateway) lives with that service.
const SHARED = /^marketpulse_(kafka|db|ready$|health_check)/;

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sources(file);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [file] : [];
  });

describe('the runtime declares only shared metric families', () => {
  it('names no metric family of one service', () => {
    const root = path.resolve(import.meta.dirname, '..');
    const foreign: string[] = [];
    for (const file of sources(root)) {
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/name: '(marketpulse_\w+)'/g)) {
        if (!SHARED.test(name)) foreign.push(`${path.relative(root, file)}: ${name}`);
      }
    }
    expect(foreign).toEqual([]);
  });
});
