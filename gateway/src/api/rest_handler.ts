import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from '@marketpulse/runtime';
import { createProcedureCache, getInputOutputParsers, normalizePath, type OpenApiMethod } from 'trpc-to-openapi';
import type { ApiContext } from './context';
import { coerceStrings } from './coerce_input';
import { ApiError, methodNotAllowed, toApiError, unauthenticated, unsupportedMediaType, validationError } from '../errors';
import { appRouter } from './router';
import { logRefusal } from '../observability/refusal_log';
import type { ApiMeta } from './trpc';
import { readBodyText } from './body_text';
import { quote } from '@marketpulse/runtime';

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const METHODS: OpenApiMethod[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

export function sendError(res: ServerResponse, err: ApiError): void {
  const retryAfter = err.details?.retry_after_seconds;
  const text = JSON.stringify(err.body());
  // A body cut off at the limit is left unread: the connection cannot carry another request.
  const unread = err.appCode === 'BODY_TOO_LARGE';
  if (unread) res.shouldKeepAlive = false;
  res.writeHead(err.httpStatus, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
    ...(unread ? { connection: 'close' } : {}),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(req, maxBytes);
  if (text.trim() === '') return undefined;
  const type = req.headers['content-type'] ?? '';
  if (type && !/json/i.test(type)) throw unsupportedMediaType(`send the body as application/json, not ${quote(type, 100)}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(
      GrpcStatus.INVALID_ARGUMENT,
      'MALFORMED_BODY',
      `the request body is not valid JSON: ${quote((err as Error).message, 120)}`,
    );
  }
}

function queryOf(url: URL): Record<string, string | string[]> {
  // fromEntries: a `?__proto__=` key stays a plain property.
  return Object.fromEntries(
    [...new Set(url.searchParams.keys())].map((key) => {
      const all = url.searchParams.getAll(key);
      return [key, all.length === 1 ? all[0]! : all];
    }),
  );
}

/**
 * Path parameters as the client meant them: `/api/providers/Binance%20US` names `Binance US`. A
 * parameter that is not valid percent-encoding is a 400 naming it.
 */
function decodePathParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(params)) {
    try {
      out[name] = decodeURIComponent(raw);
    } catch {
      throw validationError([{ field: name, message: `not valid percent-encoding: ${quote(raw)}` }]);
    }
  }
  return out;
}

/** Resolves with the route template served (`/api/v1/webhooks/{id}`), or false for a path no procedure serves. */
export type RestHandler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: () => Promise<ApiContext>) => Promise<string | false>;

/**
 * REST over the router's procedures, matched by their `openapi` meta (trpc-to-openapi's route
 * table). Input is query + JSON body + path parameters; answers use the meta's successStatus and
 * the one error body.
 */
export function createRestHandler(logger: Logger, maxBodyBytes: number): RestHandler {
  const find = createProcedureCache(appRouter);
  const caller = appRouter.createCaller;

  return async (req, res, url, createContext) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = normalizePath(url.pathname);
    const match = find(method as OpenApiMethod, path);
    if (!match?.procedure) {
      const allowed = METHODS.filter((m) => find(m, path)?.procedure);
      if (allowed.length === 0) return false;
      res.setHeader('allow', allowed.join(', '));
      sendError(res, methodNotAllowed(method, path, allowed));
      return path;
    }
    const { procedure, pathInput } = match;
    const meta = procedure.procedure._def.meta as ApiMeta | undefined;
    try {
      // Credentials before the body: a request without them is 401 whatever it sends.
      const ctx = await createContext();
      if (!ctx.principal) {
        const reason = ctx.authError ?? 'authentication required: send Authorization: Bearer <JWT> or X-API-Key: <key>';
        logRefusal(ctx.logger, { transport: 'http', kind: 'unauthenticated', reason });
        throw unauthenticated(reason);
      }
      const { inputParser } = getInputOutputParsers(procedure.procedure);
      const body = BODY_METHODS.has(method) ? await readBody(req, maxBodyBytes) : undefined;
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        throw validationError([{ field: '(body)', message: 'expected a JSON object' }]);
      }
      const input = {
        ...coerceStrings(queryOf(url), inputParser),
        ...(body as Record<string, unknown> | undefined),
        ...coerceStrings(decodePathParams(pathInput), inputParser),
      };
      const fn = procedure.path.split('.').reduce<unknown>((acc, key) => (acc as Record<string, unknown>)[key], caller(ctx)) as (
        input: unknown,
      ) => Promise<unknown>;
      const data = await fn(input);
      const status = meta?.successStatus ?? 200;
      if (status === 204) {
        res.writeHead(204).end();
      } else {
        const text = JSON.stringify(data ?? null);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }
    } catch (err) {
      const api = toApiError(err);
      if (api.grpcStatus === GrpcStatus.INTERNAL) {
        // The id in the answer is the one on this line (and, for a service's failure, on the service's).
        logger.error({ err: api.cause ?? err, error_id: api.details?.error_id, method, path }, 'unexpected error answering a REST request');
      }
      sendError(res, api);
    }
    return meta?.openapi?.path ?? path;
  };
}
