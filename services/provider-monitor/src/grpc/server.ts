import { providers } from '@marketpulse/proto';
import {
  assertValid,
  checkInt32,
  checkText,
  serveGrpc,
  type FieldViolation,
  type GrpcServiceRegistration,
  type Logger,
} from '@marketpulse/runtime';
import { providerMonitorErrors } from '../errors';
import type { MonitorApi } from '../monitor_api';

/* Shape checks of the gRPC boundary; ranges and allowed values beyond these are MonitorApi's. */
const valid = (...checks: FieldViolation[][]) => assertValid(checks, { domain: providerMonitorErrors.domain });
const nameCheck = (name: string, field: string, required = false) => checkText(name, { field, max: 128, required });
const hoursCheck = (hours: number) => checkInt32(hours, { field: 'hours', min: 0 });

/** The ProviderMonitorService, served by the runtime's one handler wrapper. */
export function providerMonitorService(api: MonitorApi, logger: Logger): GrpcServiceRegistration {
  return serveGrpc<providers.ProviderMonitorServiceServer>(
    providers.ProviderMonitorServiceService,
    {
      listProviders: (req) => {
        valid(nameCheck(req.category, 'category'), nameCheck(req.status, 'status'), checkText(req.search, { field: 'search', max: 256 }));
        return api.listProviders(req);
      },
      getProvider: (req) => {
        valid(nameCheck(req.name, 'name', true));
        return api.getProvider(req.name);
      },
      getProviderStats: (req) => {
        valid(nameCheck(req.name, 'name', true), hoursCheck(req.hours));
        return api.getProviderStats(req.name, req.hours);
      },
      getStatus: () => api.getStatus(),
      getMetricsHistory: (req) => {
        valid(hoursCheck(req.hours));
        return api.getMetricsHistory(req.hours);
      },
      listRateLimits: () => api.listRateLimits(),
      getRateLimit: (req) => {
        valid(nameCheck(req.provider, 'provider', true));
        return api.getRateLimit(req.provider);
      },
      listLogs: (req) => {
        valid(
          nameCheck(req.log_type, 'log_type'),
          hoursCheck(req.hours),
          checkInt32(req.limit, { field: 'limit', min: 0 }),
          nameCheck(req.provider, 'provider'),
        );
        return api.listLogs(req);
      },
      getSchedulerStatus: () => api.getSchedulerStatus(),
      triggerJob: (req) => {
        valid(nameCheck(req.job_id, 'job_id', true));
        return api.triggerJob(req.job_id);
      },
      getDatabaseStats: () => api.getDatabaseStats(),
      getDatabaseHealth: () => api.getDatabaseHealth(),
      getFailureAnalytics: (req) => {
        valid(hoursCheck(req.hours));
        return api.getFailureAnalytics(req.hours);
      },
      getConfigStats: () => api.getConfigStats(),
    },
    { logger },
  );
}
