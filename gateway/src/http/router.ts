import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './respond';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/**
 * The gateway's HTTP routes: exact `METHOD path` routes and prefix mounts (tRPC, REST, docs are
 * mounted by the API layer, before or after start). Longest mount prefix wins.
 */
export class HttpRouter {
  private readonly routes = new Map<string, RouteHandler>();
  private mounts: { prefix: string; handler: RouteHandler }[] = [];

  route(method: string, path: string, handler: RouteHandler): this {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
    return this;
  }

  /** Every request whose path is `prefix` or starts with `prefix/` goes to `handler`. */
  mount(prefix: string, handler: RouteHandler): this {
    const normalized = prefix.replace(/\/+$/, '');
    this.mounts = [...this.mounts.filter((m) => m.prefix !== normalized), { prefix: normalized, handler }].sort(
      (a, b) => b.prefix.length - a.prefix.length,
    );
    return this;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const handler = this.find(req.method ?? 'GET', url.pathname);
    if (!handler) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${url.pathname}` } });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } });
        else res.destroy();
      });
  }

  private find(method: string, path: string): RouteHandler | undefined {
    const exact = this.routes.get(`${method.toUpperCase()} ${path}`);
    if (exact) return exact;
    return this.mounts.find((m) => m.prefix === '' || path === m.prefix || path.startsWith(`${m.prefix}/`))?.handler;
  }
}
