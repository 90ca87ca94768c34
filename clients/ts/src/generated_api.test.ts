import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// The package's types are generated from the gateway's router, the contracts and the close-code
// table: a router change without `node clients/ts/scripts/generate-api.mts` fails here.
describe('clients/ts/src/generated/api.ts', () => {
  it('is current', () => {
    expect(() =>
      execFileSync(process.execPath, [path.join(root, 'clients/ts/scripts/generate-api.mts'), '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  }, 120_000);
});
