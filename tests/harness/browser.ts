import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { HarnessError } from './errors';

/** Debian's chromium (scripts/browser.sh installs it; CHROMIUM_PATH names another build). */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new HarnessError(
      'INFRA_NOT_INSTALLED',
      'chromium is not installed: run `bash scripts/browser.sh` (scripts/test.sh does) or set CHROMIUM_PATH',
    );
  }
}

export interface LoopbackBrowser {
  browser: Browser;
  context: BrowserContext;
  /** Every request the page tried to make off 127.0.0.1 (each was refused). */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Headless chromium that can reach 127.0.0.1 and nothing else: host names resolve nowhere, every
 * request and WebSocket to another host is aborted (and recorded), background services are off.
 */
export async function launchLoopbackBrowser(viewport = { width: 1400, height: 1000 }): Promise<LoopbackBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      // Root in a container has no user namespace for the sandbox.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
    ],
  });
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const refused: string[] = [];
  const local = (url: string) => {
    const { protocol, hostname } = new URL(url);
    return protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1';
  };
  await context.route(
    () => true,
    (route) => {
      const url = route.request().url();
      if (local(url)) return route.fallback();
      refused.push(url);
      return route.abort('blockedbyclient');
    },
  );
  await context.routeWebSocket(
    (url) => !local(url.href),
    (ws) => {
      refused.push(ws.url());
      return ws.close({ code: 1008, reason: 'loopback only' });
    },
  );
  return {
    browser,
    context,
    refused,
    close: () => browser.close(),
  };
}
