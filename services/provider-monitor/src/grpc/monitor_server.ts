import * as grpc from '@grpc/grpc-js';
import { providers } from '@marketpulse/proto';
import { grpcError, type GrpcServiceRegistration, type Logger } from '@marketpulse/runtime';
import { MonitorError } from '../errors';
import type { MonitorApi } from '../monitor_api';

function unary<Req, Res>(logger: Logger, fn: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (err instanceof MonitorError) return callback(grpcError(grpc.status[err.code], err.message, { appCode: err.code }));
          logger.error({ err }, 'provider-monitor request failed');
          callback(grpcError(grpc.status.INTERNAL, `provider-monitor failed: ${(err as Error).message}`, { appCode: 'MONITOR_INTERNAL' }));
        },
      );
  };
}

export function providerMonitorService(api: MonitorApi, logger: Logger): GrpcServiceRegistration {
  const impl: providers.ProviderMonitorServiceServer = {
    listProviders: unary(logger, (req: providers.ListProvidersRequest) => api.listProviders(req)),
    getProvider: unary(logger, (req: providers.GetProviderRequest) => api.getProvider(req.name)),
    getProviderStats: unary(logger, (req: providers.GetProviderStatsRequest) => api.getProviderStats(req.name, req.hours)),
    getStatus: unary(logger, () => api.getStatus()),
    getMetricsHistory: unary(logger, (req: providers.GetMetricsHistoryRequest) => api.getMetricsHistory(req.hours)),
    listRateLimits: unary(logger, () => api.listRateLimits()),
    getRateLimit: unary(logger, (req: providers.GetRateLimitRequest) => api.getRateLimit(req.provider)),
    listLogs: unary(logger, (req: providers.ListLogsRequest) => api.listLogs(req)),
    getSchedulerStatus: unary(logger, () => api.getSchedulerStatus()),
    triggerJob: unary(logger, (req: providers.TriggerJobRequest) => api.triggerJob(req.job_id)),
    getDatabaseStats: unary(logger, () => api.getDatabaseStats()),
    getDatabaseHealth: unary(logger, () => api.getDatabaseHealth()),
    getFailureAnalytics: unary(logger, (req: providers.GetFailureAnalyticsRequest) => api.getFailureAnalytics(req.hours)),
    getConfigStats: unary(logger, () => api.getConfigStats()),
  };
  return { definition: providers.ProviderMonitorServiceService, implementation: impl };
}
