import { appRouter } from './router';
import { forEachOpenApiProcedure } from 'trpc-to-openapi';

/** `METHOD /path` of every REST path, for the root listing. */
export function restEndpoints(): string[] {
  const out: string[] = [];
  forEachOpenApiProcedure(appRouter._def.procedures as never, ({ meta }) => out.push(`${meta.openapi.method} ${meta.openapi.path}`));
  return out.sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!) || a.localeCompare(b));
}

/** GET /: what this server is and where everything is (seed 003/004 root endpoint). */
export function rootInfo(version: string) {
  return {
    name: 'Marketpulse gateway',
    version,
    status: 'running',
    timestamp: new Date().toISOString(),
    documentation: { swagger_ui: '/docs', redoc: '/redoc', openapi: '/openapi.json' },
    endpoints: {
      rest: restEndpoints(),
      trpc: '/trpc',
      websocket: ['/ws/market-data/{symbol}', '/ws/predictions/{symbol}', '/ws/alerts', '/ws', '/ws/live', '/ws/stream'],
      health: '/health',
      info: '/info',
      ws_stats: '/ws/stats',
      metrics: '/metrics',
    },
    publish_grpc: 'marketpulse.realtime.v1.PublishService',
  };
}
