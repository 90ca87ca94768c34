import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { sendJson } from './respond';
import type { RouteHandler } from './router';

/** Where `pnpm run build` puts the dashboard (dashboard/ of the repository, bundled by Vite). */
export const DASHBOARD_DIST = join(__dirname, '..', '..', '..', 'dashboard', 'dist');
/** URL prefix of every built file: Vite's `base` in dashboard/vite.config.ts. */
export const DASHBOARD_PREFIX = '/dashboard';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// The page loads its own files and talks to its own origin only (fetch, tRPC, WebSocket).
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Vite names bundles by content hash (assets/index-3f2a9c1b.js): those never change. */
  immutable: boolean;
}

/** Every built file by URL path, read once: nothing outside the build can be named by a request. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && TYPES[extname(entry.name)]) {
        const body = readFileSync(file);
        const path = `${DASHBOARD_PREFIX}/${relative(dir, file).split(sep).join('/')}`;
        assets.set(path, {
          body,
          type: TYPES[extname(entry.name)]!,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          immutable: path.startsWith(`${DASHBOARD_PREFIX}/assets/`),
        });
      }
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return assets;
}

/** The q value `accept` gives `type`: its most specific matching range wins (RFC 9110 12.5.1). */
function quality(accept: string, type: string): number {
  const main = type.split('/')[0];
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const specificity = range === type ? 2 : range === `${main}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}

/** Whether the client asks for a page rather than data: text/html ranks above application/json. */
export function prefersHtml(accept: string | undefined): boolean {
  return accept !== undefined && quality(accept, 'text/html') > quality(accept, 'application/json');
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    etag: asset.etag,
    // The page itself is revalidated every time, so a new build is picked up at once; the hashed
    // bundles it names can then be cached for good.
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(asset.type.startsWith('text/html') ? SECURITY_HEADERS : { 'x-content-type-options': 'nosniff' }),
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': asset.body.length });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

export interface DashboardRoutes {
  /** `GET /`: the page for a browser; `false` (the API's JSON) for a client asking for JSON. */
  root: RouteHandler;
  /** Everything under /dashboard/: the built files, and the page itself at /dashboard/. */
  files: RouteHandler;
}

/** Serves the built dashboard from `dir` (read at start-up; rebuild and restart to update). */
export function dashboardRoutes(dir = DASHBOARD_DIST): DashboardRoutes {
  const assets = loadAssets(dir);
  const index = assets.get(`${DASHBOARD_PREFIX}/index.html`);
  return {
    root(req, res) {
      if (!index || !prefersHtml(req.headers.accept)) return false;
      send(req, res, index);
    },
    files(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return sendJson(res, 405, {
          error: {
            code: 'METHOD_NOT_ALLOWED',
            message: `${req.method} is not served on ${url.pathname}; use GET`,
            details: { allowed: ['GET', 'HEAD'] },
          },
        });
      }
      if (!index) {
        return sendJson(res, 503, {
          error: {
            code: 'DASHBOARD_NOT_BUILT',
            // Never the build folder: a file path of the server is no business of a client's.
            message: 'the dashboard has not been built: run `pnpm run build` (it bundles dashboard/) and restart the gateway',
          },
        });
      }
      const path =
        url.pathname === DASHBOARD_PREFIX || url.pathname === `${DASHBOARD_PREFIX}/` ? `${DASHBOARD_PREFIX}/index.html` : url.pathname;
      const asset = assets.get(path);
      if (!asset)
        return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no dashboard file ${url.pathname}; open / for the dashboard` } });
      send(req, res, asset);
    },
  };
}
