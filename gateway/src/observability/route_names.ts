import type { HttpRouteResolver } from '@marketpulse/runtime';
import { buildOpenApiDocument } from '../api/openapi';
import { TRPC_PREFIX } from '../api/trpc_handler';

/** The gateway's own exact routes (not in the OpenAPI document). */
const FIXED = ['/', '/health', '/livez', '/readyz', '/info', '/ws/stats', '/metrics', '/openapi.json', '/docs', '/redoc'];

/** A tRPC procedure path as the router names them (`alertRules.create`); anything else is `{procedure}`. */
const PROCEDURE = /^[A-Za-z]\w{0,40}(\.[A-Za-z]\w{0,40}){0,3}$/;

interface Template {
  method: string;
  route: string;
  pattern: RegExp;
}

function templateOf(method: string, route: string): Template {
  const source = route
    .split('/')
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { method: method.toUpperCase(), route, pattern: new RegExp(`^${source}$`) };
}

/**
 * Maps a request to its route template: every REST path of the OpenAPI document (`/api/v1/webhooks/{id}`),
 * the gateway's own routes, and `/trpc/<procedure>`. Literal paths win over templated ones, as the
 * REST router matches them. Used to name HTTP server spans `{method} {route}`.
 */
export function gatewayRouteResolver(version: string): HttpRouteResolver {
  const doc = buildOpenApiDocument('/', version);
  const templates: Template[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      if ((item as Record<string, unknown>)[method]) templates.push(templateOf(method, path));
    }
  }
  // Fewer parameters first: /api/v1/webhooks/test before /api/v1/webhooks/{id}.
  templates.sort((a, b) => (a.route.match(/\{/g)?.length ?? 0) - (b.route.match(/\{/g)?.length ?? 0));
  return (method, path) => {
    if (FIXED.includes(path)) return path;
    if (path === '/dashboard' || path.startsWith('/dashboard/')) return '/dashboard/{file}';
    if (path.startsWith(`${TRPC_PREFIX}/`)) {
      const procedure = path.slice(TRPC_PREFIX.length + 1);
      return `${TRPC_PREFIX}/${PROCEDURE.test(procedure) ? procedure : '{procedure}'}`;
    }
    const upper = method.toUpperCase();
    return templates.find((t) => t.method === upper && t.pattern.test(path))?.route;
  };
}
