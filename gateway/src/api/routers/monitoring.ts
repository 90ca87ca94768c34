import { z } from 'zod';
import { ownerFilter } from '../../auth';
import { AlertList, Alert } from '../schemas/alerts';
import { hoursQuery, id, limitQuery, symbol, text } from '../schemas/common';
import {
  ConfigStats,
  DatabaseHealth,
  DatabaseStats,
  FailureAnalytics,
  JobTriggered,
  LOG_TYPES,
  LogList,
  MetricsHistory,
  Provider,
  ProviderList,
  ProviderStats,
  RateLimitList,
  RateLimitStatus,
  SchedulerStatus,
  SystemStatus,
} from '../schemas/monitoring';
import { call } from '../service_clients';
import { router, scopedProcedure } from '../trpc';

const read = scopedProcedure('read');
const none = z.object({});
const name = text(100, { min: 1 }).describe('Provider name, e.g. CoinGecko.');

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`provider-monitor answered without ${what}`);
  return value;
}

/** Seed 004's monitoring REST paths under /api/, over provider-monitor (and alerting for alerts). */
export const monitoringRouter = router({
  providers: read
    .meta({ openapi: { method: 'GET', path: '/api/providers', tags: ['providers'], summary: 'List all providers', protect: true } })
    .input(
      z.object({
        category: text(64).optional(),
        status: z.enum(['online', 'degraded', 'offline', 'unknown']).optional(),
        search: text(100).optional(),
      }),
    )
    .output(ProviderList)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.providerMonitor, (c) => c.listProviders, {
        category: input.category ?? '',
        status: input.status ?? '',
        search: input.search ?? '',
      });
      return { providers: res.providers, total: res.providers.length };
    }),

  provider: read
    .meta({
      openapi: { method: 'GET', path: '/api/providers/{name}', tags: ['providers'], summary: 'Get specific provider', protect: true },
    })
    .input(z.object({ name }))
    .output(Provider)
    .query(async ({ ctx, input }) =>
      required((await call(ctx.services.providerMonitor, (c) => c.getProvider, { name: input.name })).provider, 'a provider'),
    ),

  providerStats: read
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/providers/{name}/stats',
        tags: ['providers'],
        summary: 'Get provider statistics',
        protect: true,
      },
    })
    .input(z.object({ name, hours: hoursQuery }))
    .output(ProviderStats)
    .query(async ({ ctx, input }) =>
      required(
        (await call(ctx.services.providerMonitor, (c) => c.getProviderStats, { name: input.name, hours: input.hours ?? 0 })).stats,
        'stats',
      ),
    ),

  status: read
    .meta({ openapi: { method: 'GET', path: '/api/status', tags: ['status'], summary: 'Current system status', protect: true } })
    .input(none)
    .output(SystemStatus)
    .query(({ ctx }) => call(ctx.services.providerMonitor, (c) => c.getStatus, {})),

  statusMetrics: read
    .meta({ openapi: { method: 'GET', path: '/api/status/metrics', tags: ['status'], summary: 'System metrics history', protect: true } })
    .input(z.object({ hours: hoursQuery }))
    .output(MetricsHistory)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.providerMonitor, (c) => c.getMetricsHistory, { hours: input.hours ?? 0 });
      return { metrics: res.metrics, count: res.metrics.length };
    }),

  rateLimits: read
    .meta({
      openapi: { method: 'GET', path: '/api/rate-limits', tags: ['rate-limits'], summary: 'All provider rate limits', protect: true },
    })
    .input(none)
    .output(RateLimitList)
    .query(async ({ ctx }) => {
      const res = await call(ctx.services.providerMonitor, (c) => c.listRateLimits, {});
      return { rate_limits: res.rate_limits, total: res.rate_limits.length };
    }),

  rateLimit: read
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/rate-limits/{name}',
        tags: ['rate-limits'],
        summary: 'Specific provider rate limit',
        protect: true,
      },
    })
    .input(z.object({ name }))
    .output(RateLimitStatus)
    .query(async ({ ctx, input }) =>
      required((await call(ctx.services.providerMonitor, (c) => c.getRateLimit, { provider: input.name })).rate_limit, 'a rate limit'),
    ),

  logs: read
    .meta({ openapi: { method: 'GET', path: '/api/logs/{log_type}', tags: ['logs'], summary: 'Get logs', protect: true } })
    .input(z.object({ log_type: z.enum(LOG_TYPES), hours: hoursQuery, limit: limitQuery(1000), provider: text(100).optional() }))
    .output(LogList)
    .query(({ ctx, input }) =>
      call(ctx.services.providerMonitor, (c) => c.listLogs, {
        log_type: input.log_type,
        hours: input.hours ?? 0,
        limit: input.limit ?? 0,
        provider: input.provider ?? '',
      }),
    ),

  alerts: read
    .meta({ openapi: { method: 'GET', path: '/api/alerts', tags: ['alerts'], summary: 'List alerts with filtering', protect: true } })
    .input(
      z.object({
        acknowledged: z.boolean().optional().describe('Only acknowledged (true) or unacknowledged (false) alerts.'),
        hours: hoursQuery,
        severity: z.enum(['info', 'warning', 'high', 'critical']).optional(),
        symbol: symbol.optional(),
        limit: limitQuery(1000),
      }),
    )
    .output(AlertList)
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.alerting, (c) => c.listAlerts, {
        acknowledged: input.acknowledged,
        hours: input.hours ?? 0,
        severity: input.severity ?? '',
        symbol: input.symbol ?? '',
        user_id: ownerFilter(ctx.principal),
        limit: input.limit ?? 0,
      });
      return { alerts: res.alerts, count: res.alerts.length };
    }),

  acknowledgeAlert: scopedProcedure('rules:write')
    .meta({
      openapi: { method: 'POST', path: '/api/alerts/{id}/acknowledge', tags: ['alerts'], summary: 'Acknowledge alert', protect: true },
    })
    .input(z.object({ id: id('Alert id.') }))
    .output(Alert)
    .mutation(async ({ ctx, input }) => {
      const res = await call(ctx.services.alerting, (c) => c.acknowledgeAlert, {
        id: input.id,
        acknowledged_by: ctx.principal.userId,
        user_id: ownerFilter(ctx.principal),
      });
      if (!res.alert) throw new Error('alerting answered without the alert');
      return res.alert;
    }),

  schedulerStatus: read
    .meta({ openapi: { method: 'GET', path: '/api/scheduler/status', tags: ['scheduler'], summary: 'Scheduler status', protect: true } })
    .input(none)
    .output(SchedulerStatus)
    .query(({ ctx }) => call(ctx.services.providerMonitor, (c) => c.getSchedulerStatus, {})),

  triggerJob: scopedProcedure('scheduler:trigger')
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/scheduler/trigger/{job_id}',
        tags: ['scheduler'],
        summary: 'Trigger job immediately',
        protect: true,
      },
    })
    .input(z.object({ job_id: id('Scheduler job id, e.g. health_checks.') }))
    .output(JobTriggered)
    .mutation(({ ctx, input }) => call(ctx.services.providerMonitor, (c) => c.triggerJob, { job_id: input.job_id })),

  databaseStats: read
    .meta({ openapi: { method: 'GET', path: '/api/database/stats', tags: ['database'], summary: 'Database statistics', protect: true } })
    .input(none)
    .output(DatabaseStats)
    .query(({ ctx }) => call(ctx.services.providerMonitor, (c) => c.getDatabaseStats, {})),

  databaseHealth: read
    .meta({ openapi: { method: 'GET', path: '/api/database/health', tags: ['database'], summary: 'Database health check', protect: true } })
    .input(none)
    .output(DatabaseHealth)
    .query(({ ctx }) => call(ctx.services.providerMonitor, (c) => c.getDatabaseHealth, {})),

  failureAnalytics: read
    .meta({ openapi: { method: 'GET', path: '/api/analytics/failures', tags: ['analytics'], summary: 'Failure analysis', protect: true } })
    .input(z.object({ hours: hoursQuery }))
    .output(FailureAnalytics)
    .query(({ ctx, input }) => call(ctx.services.providerMonitor, (c) => c.getFailureAnalytics, { hours: input.hours ?? 0 })),

  configStats: read
    .meta({ openapi: { method: 'GET', path: '/api/config/stats', tags: ['config'], summary: 'Configuration statistics', protect: true } })
    .input(none)
    .output(ConfigStats)
    .query(({ ctx }) => call(ctx.services.providerMonitor, (c) => c.getConfigStats, {})),
});
