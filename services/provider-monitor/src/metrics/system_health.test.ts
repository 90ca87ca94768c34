import { describe, expect, it } from 'vitest';
import { countStatuses, systemHealth } from './system_health';

describe('systemHealth', () => {
  it.each([
    [[], 'unknown'],
    [['unknown'], 'unknown'],
    [['online', 'online'], 'healthy'],
    [['online', 'degraded'], 'degraded'],
    [['online', 'online', 'offline'], 'degraded'],
    [['online', 'offline'], 'unhealthy'],
  ] as const)('%j is %s', (statuses, health) => {
    expect(systemHealth(countStatuses([...statuses]))).toBe(health);
  });
});
