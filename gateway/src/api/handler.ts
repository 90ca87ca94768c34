import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, AuthError, type Authenticator } from '../auth';
import { admit, credentialOf, type Admission } from '../auth_http';
import { clientAddress, type TrustedProxies } from '../http/client_address';
import { applyCors, type CorsOptions } from '../http/cors';
import type { RateLimiter } from '../rate_limit';
import type { ApiContext, ApiDeps } from './context';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError, methodNotAllowed, rateLimited } from '../errors';
import type { ApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { createRestHandler, sendError } from './rest_handler';
import { readBodyText } from './body_text';
import { rootInfo } from './root_info';
import { createTrpcHandler, trpcCallCount, TRPC_PREFIX, type ConnectionParamsCredentials } from './trpc_handler';
import { serveDocs } from './docs_pages';
import { gatewayRouteResolver } from '../observability/route_names';

export interface ApiHandlerOptions extends ApiDeps {
  authenticator: Authenticator;
  limiter: RateLimiter;
  cors: CorsOptions;
  /** TRUSTED_PROXIES: whose Forwarded (or X-Forwarded-For) names the client charged for a request without a credential. */
  trustedProxies: TrustedProxies;
  metrics: ApiMetrics;
  version: string;
  /** GATEWAY_ENV=development: a request without a credential reads as the anonymous reader (scope read). */
  anonymousReads?: boolean;
  /** HTTP_MAX_BODY_BYTES: the largest body REST and /trpc read. */
  maxBodyBytes: number;
  /** TRPC_MAX_BATCH_SIZE: the most calls one /trpc request may carry. */
  maxBatchSize: number;
}

/** Answers the request when its path is the API's; resolves false (untouched) otherwise. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const API_PREFIX = '/api';

function isApiPath(path: string): boolean {
  return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path === TRPC_PREFIX || path.startsWith(`${TRPC_PREFIX}/`);
}

function isOwnedPath(path: string): boolean {
  return isApiPath(path) || path === '/' || path === '/openapi.json' || path === '/metrics' || /^\/(docs|redoc)(\/|$)/.test(path);
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The request side of the gateway: `/` , `/openapi.json`, `/docs`, `/redoc`, REST under `/api`,
 * tRPC under `/trpc` (and 405 for methods other than GET on those and `/metrics`, whose GET is
 * service.ts's route). CORS and per-client rate limiting apply to /api and /trpc.
 */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const { authenticator, limiter, metrics, logger } = options;
  const deps: ApiDeps = {
    services: options.services,
    apiKeys: options.apiKeys,
    publisher: options.publisher,
    feed: options.feed,
    subscriptions: options.subscriptions,
    keySessions: options.keySessions,
    logger,
  };
  const rest = createRestHandler(logger, options.maxBodyBytes);
  let openApiText: string | undefined;

  /** Requests admitted with their header credential verified: their context reuses the principal. */
  const admitted = new WeakMap<IncomingMessage, { credential: string | undefined; admission: Admission }>();

  async function contextFor(credential: string | undefined, req?: IncomingMessage): Promise<ApiContext> {
    const known = req && admitted.get(req);
    if (known && known.credential === credential) {
      const principal = known.admission.principal ?? (credential === undefined && options.anonymousReads ? ANONYMOUS : null);
      return { ...deps, principal, ...(known.admission.authError ? { authError: known.admission.authError } : {}) };
    }
    if (!credential) return { ...deps, principal: options.anonymousReads ? ANONYMOUS : null };
    try {
      return { ...deps, principal: await authenticator.verify(credential) };
    } catch (err) {
      if (err instanceof AuthError) return { ...deps, principal: null, authError: err.message };
      throw err;
    }
  }

  const trpc = createTrpcHandler(
    (req, params: ConnectionParamsCredentials | null) => contextFor(credentialOf(req.headers) ?? params?.token ?? params?.apiKey, req),
    logger,
    { maxBodyBytes: options.maxBodyBytes, maxBatchSize: options.maxBatchSize },
  );

  const routeOf = gatewayRouteResolver(options.version);

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    if (!isOwnedPath(path)) return false;
    const started = process.hrtime.bigint();
    // The label is a route template or a fixed name, never the path as sent: the path is the
    // client's choice, and with a series per path one client sending preflights (no credential, no
    // rate limit) grew /metrics until scraping it failed. `served` below is the REST router's template.
    let route: string | undefined = path.startsWith(TRPC_PREFIX) ? TRPC_PREFIX : undefined;
    res.once('finish', () => {
      const method = req.method ?? 'GET';
      // A preflight is named by the route it asks about.
      const requested = req.headers['access-control-request-method'];
      const asked = method === 'OPTIONS' && typeof requested === 'string' ? requested : method;
      route ??= routeOf(asked, path) ?? 'unmatched';
      metrics.observe(method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });

    if (path === '/' && req.method === 'GET') return (sendJson(res, rootInfo(options.version)), true);
    if (path === '/openapi.json' && req.method === 'GET') {
      // A relative server URL: the document is right whatever host or proxy the client came through.
      openApiText ??= JSON.stringify(buildOpenApiDocument('/', options.version));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(openApiText) });
      res.end(openApiText);
      return true;
    }
    if (!isApiPath(path)) {
      if (serveDocs(req, res, path)) return true;
      if (req.method !== 'GET' && (path === '/' || path === '/openapi.json' || path === '/metrics' || /^\/(docs|redoc)\/?$/.test(path))) {
        res.setHeader('allow', 'GET');
        sendError(res, methodNotAllowed(req.method ?? 'GET', path, ['GET']));
        return true;
      }
      route = 'unmatched';
      return false;
    }

    if (applyCors(req, res, options.cors)) return true;
    const credential = credentialOf(req.headers);
    // Every call of a tRPC batch costs what a request does: a batch cannot multiply a client's rate.
    const calls = path.startsWith(`${TRPC_PREFIX}/`) ? trpcCallCount(url) : 1;
    if (calls > options.maxBatchSize) {
      sendError(
        res,
        new ApiError(
          GrpcStatus.INVALID_ARGUMENT,
          'BATCH_TOO_LARGE',
          `this batch has ${calls} calls; at most ${options.maxBatchSize} (TRPC_MAX_BATCH_SIZE) are allowed, send them in several requests`,
          {
            max_batch_size: options.maxBatchSize,
            fields: [{ field: '(batch)', message: `at most ${options.maxBatchSize} calls` }],
          },
        ),
      );
      return true;
    }
    const admission = await admit(credential, clientAddress(req, options.trustedProxies), calls, authenticator, limiter);
    admitted.set(req, { credential, admission });
    const { decision } = admission;
    if (!decision.allowed) {
      metrics.rateLimited();
      sendError(res, rateLimited(decision.retryAfterSeconds));
      return true;
    }

    if (path.startsWith(`${TRPC_PREFIX}/`)) {
      // tRPC serves GET (queries, subscriptions) and POST (mutations); it would answer any other
      // method without a JSON Content-Type with an error of its own that is in no row of the table.
      if (req.method !== 'GET' && req.method !== 'POST') {
        res.setHeader('allow', 'GET, POST');
        sendError(res, methodNotAllowed(req.method ?? 'GET', path, ['GET', 'POST']));
        return true;
      }
      if (req.method === 'POST') {
        // The body is read here, as REST reads it, so bytes that are not UTF-8 are MALFORMED_BODY
        // (tRPC would decode them leniently, into U+FFFD); tRPC then takes the text as `req.body`.
        let text: string;
        try {
          text = await readBodyText(req, options.maxBodyBytes);
        } catch (err) {
          // A client that went away mid-body (ECONNRESET) has nobody to answer.
          if (!(err instanceof ApiError)) return (res.destroy(), true);
          sendError(res, err);
          return true;
        }
        (req as IncomingMessage & { body?: string }).body = text;
      }
      trpc(req, res);
      return true;
    }
    const served = await rest(req, res, url, () => contextFor(credential, req));
    if (served === false) {
      route = 'unmatched';
      sendError(res, new ApiError(GrpcStatus.NOT_FOUND, 'NOT_FOUND', `no API path ${req.method} ${path}; see /openapi.json for the list`));
    } else {
      route = served;
    }
    return true;
  };
}
