import type { ProviderStatus } from '../tracking/status';

export interface StatusCounts {
  total: number;
  online: number;
  degraded: number;
  offline: number;
  unknown: number;
}

export function countStatuses(statuses: ProviderStatus[]): StatusCounts {
  const c: StatusCounts = { total: statuses.length, online: 0, degraded: 0, offline: 0, unknown: 0 };
  for (const s of statuses) c[s]++;
  return c;
}

/**
 * healthy: every checked provider online; unhealthy: half or more offline; degraded: anything in
 * between; unknown: nothing checked yet.
 */
export function systemHealth(c: StatusCounts): 'healthy' | 'degraded' | 'unhealthy' | 'unknown' {
  const checked = c.online + c.degraded + c.offline;
  if (checked === 0) return 'unknown';
  if (c.offline * 2 >= checked) return 'unhealthy';
  if (c.degraded || c.offline) return 'degraded';
  return 'healthy';
}
