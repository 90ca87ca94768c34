import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, startProcess, waitFor, type ManagedProcess } from '@marketpulse/tests';
import { launchLoopbackBrowser, type LoopbackBrowser } from '../harness/browser';

// What the README promises after the first command: open http://127.0.0.1:<port>/ and the dashboard
// works as it is, with no credential (development profile: reads open), and no console error.
describe('the dashboard on the first command', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mp-dashboard-first-'));
  let suite: ManagedProcess;
  let browser: LoopbackBrowser;
  let base: string;

  beforeAll(async () => {
    const ports: Record<string, string> = {};
    for (const name of [
      'GATEWAY_PORT',
      'PUBLISH_GRPC_PORT',
      'MARKET_DATA_GRPC_PORT',
      'PREDICTION_GRPC_PORT',
      'ALERTING_GRPC_PORT',
      'WEBHOOK_GRPC_PORT',
      'PROVIDER_MONITOR_GRPC_PORT',
      'METRICS_PORT',
    ]) {
      ports[name] = String(await freePort());
    }
    base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
    suite = startProcess(
      process.execPath,
      [path.join(REPO_ROOT, 'services/suite/dist/main.js')],
      {
        ...ports,
        PGLITE_DIR: dataDir,
        BUS: 'memory',
        DATABASE_URL: undefined,
        OTEL_TRACES_EXPORTER: 'none',
        LOG_LEVEL: 'warn',
        JWT_SECRET: undefined,
        GATEWAY_ENV: undefined,
      },
      { label: 'dashboard-first-command' },
    );
    await Promise.race([
      waitFor(() => suite.output().includes('Marketpulse is running'), {
        timeoutMs: 90_000,
        what: `the suite to print its URLs (log: ${suite.logFile})`,
      }),
      suite.exited.then((e) => {
        throw new Error(`the suite exited (code ${e.code}) before it was ready: see ${suite.logFile}`);
      }),
    ]);
    browser = await launchLoopbackBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await suite?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the dashboard URL and serves a live page with no credential and no console error', async () => {
    expect(suite.output()).toContain(`dashboard     ${base}/`);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${base}/`);
    await page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor({ timeout: 30_000 });
    const ticks = page.locator('[data-testid="quote-row"][data-symbol="AAPL"] [data-testid="quote-ticks"]');
    await waitFor(async () => Number(await ticks.textContent().catch(() => '0')) >= 3, {
      timeoutMs: 30_000,
      what: 'AAPL ticks on the page',
    });
    // The panels read the API without a credential: providers are listed, no notice asks for one.
    await page.locator('[data-testid="provider-row"]').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="notice"]').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    expect(browser.refused).toEqual([]);
  }, 90_000);
});
