import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuiteProcess, SUITE_HOOK_TIMEOUT_MS, waitFor, type ManagedProcess, type SuiteProcess } from '@marketpulse/tests';
import { launchLoopbackBrowser, type LoopbackBrowser } from '../harness/browser';

// What the README promises after the first command: open http://127.0.0.1:<port>/ and the dashboard
// works as it is, with no credential (development profile: reads open), and no console error.
describe('the dashboard on the first command', () => {
  let running: SuiteProcess;
  let suite: ManagedProcess;
  let browser: LoopbackBrowser;
  let base: string;

  beforeAll(async () => {
    running = await startSuiteProcess({
      label: 'dashboard-first-command',
      env: { JWT_SECRET: undefined, GATEWAY_ENV: undefined },
    });
    suite = running.process;
    base = running.base;
    browser = await launchLoopbackBrowser();
  }, SUITE_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
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
