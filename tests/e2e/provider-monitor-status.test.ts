// The default status snapshot interval: status_update every 10 s when nothing is configured.
import type { ProviderMonitorHandle } from '@marketpulse/provider-monitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { newMonitorSlice, payloads, startMonitorOn, type MonitorSlice } from './provider-monitor.kit';

let slice: MonitorSlice;
let service: ProviderMonitorHandle;

beforeAll(async () => {
  slice = await newMonitorSlice('provider-monitor-status');
  service = await startMonitorOn(slice);
});

afterAll(async () => {
  await service?.close();
  await slice?.bus.close();
  await slice?.db.drop();
});

describe('provider-monitor status updates', () => {
  it('publishes status_update every 10 s by default', { timeout: 40_000 }, async () => {
    await waitFor(() => payloads(slice, 'status_update').length >= 2, { timeoutMs: 30_000, intervalMs: 200, what: 'two status updates' });
    const [a, b] = payloads(slice, 'status_update');
    expect(b.at - a.at).toBeGreaterThan(9_000);
    expect(b.at - a.at).toBeLessThan(11_000);
    expect(b.status_update.system_metrics).toMatchObject({ total_providers: 0, system_health: 'unknown' });
  });
});
