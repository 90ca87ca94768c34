import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes, prefersHtml } from './dashboard';
import { HttpRouter } from './router';

// The dashboard's files as the gateway serves them: the page at / for a browser while a JSON client
// keeps the root listing, each file with its content type, hashed bundles cached for good, the page
// revalidated, nothing outside the build reachable, and a clear answer when it was never built.

const outside = mkdtempSync(join(tmpdir(), 'mp-dashboard-'));
const built = join(outside, 'dist');
mkdirSync(join(built, 'assets'), { recursive: true });
writeFileSync(join(outside, 'secret.txt'), 'not-for-the-web');
writeFileSync(
  join(built, 'index.html'),
  '<!doctype html><title>Marketpulse</title><script type="module" src="/dashboard/assets/index-AbC123.js"></script>',
);
writeFileSync(join(built, 'assets', 'index-AbC123.js'), 'console.log("hi")');
writeFileSync(join(built, 'assets', 'index-AbC123.css'), 'body{}');

async function serve(dir: string): Promise<{ server: Server; base: string }> {
  const dashboard = dashboardRoutes(dir);
  const router = new HttpRouter()
    .route('GET', '/', dashboard.root)
    .mount('/dashboard', dashboard.files)
    .mount('', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"Marketpulse gateway"}'));
  const server = createServer((req, res) => router.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** GET with the path sent exactly as written (fetch would normalize dot segments first). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
let withBuild: { server: Server; base: string };
let withoutBuild: { server: Server; base: string };

beforeAll(async () => {
  withBuild = await serve(built);
  withoutBuild = await serve(join(built, 'missing'));
});

afterAll(async () => {
  for (const s of [withBuild, withoutBuild]) {
    s.server.closeAllConnections();
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
  rmSync(outside, { recursive: true, force: true });
});

describe('content negotiation at /', () => {
  it('prefers the page only when text/html outranks application/json', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('text/html;q=0.5, application/json')).toBe(false);
    expect(prefersHtml('application/json;q=0.1, text/*')).toBe(true);
  });

  it('gives a browser the page and a JSON client (or curl) the root listing', async () => {
    const page = await fetch(`${withBuild.base}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<title>Marketpulse</title>');
    for (const accept of ['application/json', '*/*']) {
      const json = await fetch(`${withBuild.base}/`, { headers: { accept } });
      expect(await json.json()).toEqual({ name: 'Marketpulse gateway' });
    }
  });

  it('keeps the JSON listing at / when the dashboard was not built', async () => {
    const res = await fetch(`${withoutBuild.base}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(await res.json()).toEqual({ name: 'Marketpulse gateway' });
    const files = await fetch(`${withoutBuild.base}/dashboard/`);
    expect(files.status).toBe(503);
    expect(((await files.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'DASHBOARD_NOT_BUILT',
      message: expect.stringContaining('pnpm run build'),
    });
    // No path of the server's files: the missing folder lives under this test's temporary one.
    expect(JSON.stringify(await (await fetch(`${withoutBuild.base}/dashboard/`)).json())).not.toContain(basename(outside));
  });
});

describe('the built files under /dashboard/', () => {
  it('serves each with its content type; hashed bundles immutable, with an ETag that answers 304', async () => {
    const js = await fetch(`${withBuild.base}/dashboard/assets/index-AbC123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log("hi")');
    const css = await fetch(`${withBuild.base}/dashboard/assets/index-AbC123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const again = await fetch(`${withBuild.base}/dashboard/assets/index-AbC123.js`, {
      headers: { 'if-none-match': js.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const page = await fetch(`${withBuild.base}/dashboard/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('reaches nothing outside the build, however the path is spelled', async () => {
    for (const path of [
      '/dashboard/assets/missing.js',
      '/dashboard/..%2fsecret.txt',
      '/dashboard/assets/index-AbC123.js%00',
      '/dashboard/%5c..%5csecret.txt',
    ]) {
      const res = await rawGet(withBuild.base, path);
      expect(res.status, path).toBe(404);
      expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
    // Dot segments are resolved by the router before any route sees the path: never a file outside.
    for (const path of ['/dashboard/../secret.txt', '/dashboard/%2e%2e/secret.txt', '/dashboard/assets/../../secret.txt']) {
      expect((await rawGet(withBuild.base, path)).body, path).not.toContain('not-for-the-web');
    }
    const post = await fetch(`${withBuild.base}/dashboard/assets/index-AbC123.js`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
