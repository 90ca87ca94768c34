import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { quote, type Logger } from '@marketpulse/runtime';
import { declaredContentCoding } from './body_encoding';
import { DEFAULT_MAX_BODY_BYTES, declaresBodyOver, refuseBody, refuseUnread } from './body_limit';
import { malformedUrl, unsupportedMediaType } from '../errors';
import { sendJson } from './respond';

/** Resolving `false` (an exact route only) passes the request on to the mounts: "not mine after all". */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | boolean | Promise<void | boolean>;

export interface HttpRouterOptions {
  /** HTTP_MAX_BODY_BYTES: a request announcing a larger body gets 413 on every route, unread. */
  maxBodyBytes?: number;
  /** Where a handler's unexpected failure is logged, with the error id its 500 answer names. */
  logger?: Logger;
}

/**
 * The gateway's HTTP routes: exact `METHOD path` routes and prefix mounts (tRPC, REST, docs are
 * mounted by the API layer, before or after start). Longest mount prefix wins. A path served by
 * exact routes answers 405 with `Allow` to other methods.
 */
export class HttpRouter {
  private readonly routes = new Map<string, RouteHandler>();
  /** Methods of the exact routes of each path, for 405's Allow header. */
  private readonly methodsByPath = new Map<string, string[]>();
  private mounts: { prefix: string; handler: RouteHandler }[] = [];
  private readonly maxBodyBytes: number;
  private readonly logger: Logger | undefined;

  constructor(options: HttpRouterOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.logger = options.logger;
  }

  route(method: string, path: string, handler: RouteHandler): this {
    const upper = method.toUpperCase();
    this.routes.set(`${upper} ${path}`, handler);
    const methods = this.methodsByPath.get(path) ?? [];
    if (!methods.includes(upper)) this.methodsByPath.set(path, [...methods, upper]);
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
    // URL.parse, not new URL: a request target the parser refuses must be a 400, not an exception
    // thrown from the server's request listener (which ends the process).
    const url = URL.parse(req.url ?? '/', 'http://gateway');
    if (!url) {
      const refusal = malformedUrl();
      return sendJson(res, refusal.httpStatus, refusal.body());
    }
    if (declaresBodyOver(req, this.maxBodyBytes)) return refuseBody(res, this.maxBodyBytes);
    const coding = declaredContentCoding(req);
    if (coding !== undefined) {
      return refuseUnread(res, unsupportedMediaType(`Content-Encoding ${quote(coding, 40)} is not accepted; send the body uncompressed`));
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const handler = this.routes.get(`${method} ${url.pathname}`);
    const allowed = this.methodsByPath.get(url.pathname);
    if (!handler && allowed) {
      res.setHeader('allow', allowed.join(', '));
      sendJson(res, 405, {
        error: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${method} is not served on ${url.pathname}; use ${allowed.join(' or ')}`,
          details: { allowed },
        },
      });
      return;
    }
    const mounted = this.mounts.find(
      (m) => m.prefix === '' || url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`),
    )?.handler;
    const notFound = () => sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route for ${method} ${url.pathname}` } });
    const chosen = handler ?? mounted;
    if (!chosen) return notFound();
    Promise.resolve()
      .then(() => chosen(req, res, url))
      .then((served) => {
        if (served !== false || !handler) return;
        if (!mounted) return notFound();
        return mounted(req, res, url);
      })
      .catch((err: unknown) => {
        // Never the exception's text: it may hold addresses, SQL or stack details.
        const errorId = randomUUID();
        this.logger?.error({ err, error_id: errorId, method, path: url.pathname }, 'HTTP handler failed');
        if (!res.headersSent) {
          sendJson(res, 500, {
            error: {
              code: 'INTERNAL',
              message: `the gateway failed to handle this request; it has been logged with error id ${errorId}, try again later`,
              details: { error_id: errorId },
            },
          });
        } else res.destroy();
      });
  }
}
