import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// The import fences are lint rules (eslint.config.mjs, scripts/eslint/import-fences.mjs): each one
// here rejects a deliberate violation and accepts the allowed form, linted with the repository's own
// configuration as if the code were a file at that path. Only the fence rule runs, without type
// information, so no TypeScript program is built: a fence removed from the config fails this file.

const FENCE = 'marketpulse/import-fences';

const eslint = new ESLint({
  cwd: REPO_ROOT,
  overrideConfig: { languageOptions: { parserOptions: { project: false, projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === FENCE,
});

/** The fence messages for `code` as the file at `file` (relative to the repository root). */
async function fenceMessages(file: string, code: string): Promise<string[]> {
  const filePath = path.join(REPO_ROOT, file);
  expect(await eslint.isPathIgnored(filePath), `${file} is linted`).toBe(false);
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result!.messages.filter((m) => m.fatal);
  expect(fatal, 'the probe parses').toEqual([]);
  return result!.messages.filter((m) => m.ruleId === FENCE).map((m) => m.message);
}

describe('import fences', () => {
  it('a service never imports another service, by package name or by path', async () => {
    const file = 'services/alerting/src/fence_probe.ts';
    expect(await fenceMessages(file, "import { startMarketData } from '@marketpulse/market-data';\n")).toEqual([
      expect.stringContaining('the service alerting must not import market-data'),
    ]);
    expect(await fenceMessages(file, "import { MarketDataEngine } from '../../market-data/src/engine';\n")).toEqual([
      expect.stringContaining('must not import market-data'),
    ]);
    expect(await fenceMessages(file, "export { Hub } from '@marketpulse/gateway';\n")).toEqual([
      expect.stringContaining('must not import gateway'),
    ]);
    // What services share, and the service's own files, are allowed.
    const allowed = [
      "import { createLogger } from '@marketpulse/runtime';",
      "import { alerting } from '@marketpulse/proto';",
      "import { startAlerting } from './service';",
    ].join('\n');
    expect(await fenceMessages(file, `${allowed}\n`)).toEqual([]);
  });

  it('the runtime, shared by the services, imports none of them', async () => {
    expect(
      await fenceMessages('services/runtime/src/fence_probe.ts', "const { webhookErrors } = require('@marketpulse/webhook-delivery');\n"),
    ).toEqual([expect.stringContaining('must not import webhook-delivery')]);
  });

  it('the gateway imports a service only through its package entry', async () => {
    const file = 'gateway/src/fence_probe.ts';
    expect(await fenceMessages(file, "import { AlertingApi } from '../../services/alerting/src/alerting_api';\n")).toEqual([
      expect.stringContaining("reaches into alerting's files"),
    ]);
    expect(await fenceMessages(file, "import { AlertingApi } from '@marketpulse/alerting/src/alerting_api';\n")).toEqual([
      expect.stringContaining("reaches into alerting's files"),
    ]);
    expect(await fenceMessages(file, "import type { AlertingApi } from '@marketpulse/alerting';\n")).toEqual([]);
  });

  it('product code never imports the test harness', async () => {
    expect(await fenceMessages('gateway/src/fence_probe.ts', "import { waitFor } from '@marketpulse/tests';\n")).toEqual([
      expect.stringContaining('product code (gateway) never imports tests'),
    ]);
    expect(await fenceMessages('suite/src/fence_probe.ts', "import { waitFor } from '../../tests/harness';\n")).toEqual([
      expect.stringContaining('never imports tests'),
    ]);
  });

  it('tests and benchmarks import packages only through their public entries', async () => {
    const test = 'tests/e2e/fence_probe.test.ts';
    expect(await fenceMessages(test, "import { Hub } from '../../gateway/src/ws/hub';\n")).toEqual([
      expect.stringContaining("reaches into gateway's files"),
    ]);
    expect(await fenceMessages(test, "const api = await import('../../services/prediction/dist/index.js');\n")).toEqual([
      expect.stringContaining("reaches into prediction's files"),
    ]);
    expect(
      await fenceMessages(test, "import { fixtureMessages } from '@marketpulse/market-data/src/providers/exchange_server.testkit';\n"),
    ).toEqual([expect.stringContaining("reaches into market-data's files")]);
    // The entry, a subpath the package declares in `exports`, and the test's own package are allowed.
    const allowed = [
      "import { Hub } from '@marketpulse/gateway';",
      "import { startExchangeTestServer } from '@marketpulse/market-data/testkit';",
      "import { waitFor } from '../harness';",
    ].join('\n');
    expect(await fenceMessages(test, `${allowed}\n`)).toEqual([]);

    expect(await fenceMessages('bench/ws-fanout/fence_probe.mts', "const gw = require('../../gateway/dist/index.js');\n")).toEqual([
      expect.stringContaining("reaches into gateway's files"),
    ]);
  });

  it('the dashboard imports only the published client', async () => {
    const file = 'dashboard/src/fence_probe.ts';
    expect(await fenceMessages(file, "import { mintToken } from '@marketpulse/gateway';\n")).toEqual([
      expect.stringContaining('the dashboard imports only @marketpulse/client'),
    ]);
    expect(await fenceMessages(file, "import { createMarketpulseClient } from '@marketpulse/client';\n")).toEqual([]);
  });
});

describe('eslint-disable comments', () => {
  const RULE = 'marketpulse/disable-needs-reason';
  const reasons = new ESLint({
    cwd: REPO_ROOT,
    overrideConfig: { languageOptions: { parserOptions: { project: false, projectService: false } } },
    ruleFilter: ({ ruleId }) => ruleId === RULE,
  });
  const findings = async (code: string) => {
    const [result] = await reasons.lintText(code, { filePath: path.join(REPO_ROOT, 'gateway/src/reason_probe.ts') });
    return result!.messages.filter((m) => m.ruleId === RULE).length;
  };

  it('need a reason after --', async () => {
    expect(await findings('// eslint-disable-next-line no-control-regex\nexport const C = /\\x00/;\n')).toBe(1);
    expect(await findings('/* eslint-disable no-control-regex */\nexport const C = /\\x00/;\n')).toBe(1);
    expect(await findings('// eslint-disable-next-line no-control-regex -- NUL is what it looks for\nexport const C = /\\x00/;\n')).toBe(0);
  });
});
