import { describe, expect, it } from 'vitest';
import { StatusTracker, classify } from './status';

const policy = { degraded_latency_ms: 500, failures_before_offline: 2 };

describe('classify', () => {
  it('maps latency and failures to a status', () => {
    expect(classify({ ok: true, latency_ms: 100 }, 0, policy)).toBe('online');
    expect(classify({ ok: true, latency_ms: 900 }, 0, policy)).toBe('degraded');
    expect(classify({ ok: false, latency_ms: 10 }, 1, policy)).toBe('degraded');
    expect(classify({ ok: false, latency_ms: 10 }, 2, policy)).toBe('offline');
  });
});

describe('StatusTracker', () => {
  it('reports online -> degraded -> offline -> online with one change each', () => {
    const t = new StatusTracker(policy);
    const changes = [
      { ok: true, latency_ms: 50 },
      { ok: true, latency_ms: 60 },
      { ok: true, latency_ms: 900 },
      { ok: true, latency_ms: 950 },
      { ok: false, latency_ms: 5 },
      { ok: false, latency_ms: 5 },
      { ok: false, latency_ms: 5 },
      { ok: true, latency_ms: 40 },
      { ok: true, latency_ms: 40 },
    ]
      .map((o) => t.observe(o))
      .filter(Boolean);
    expect(changes).toEqual([
      { old_status: 'online', new_status: 'degraded' },
      { old_status: 'degraded', new_status: 'offline' },
      { old_status: 'offline', new_status: 'online' },
    ]);
    expect(t.status).toBe('online');
  });

  it('does not announce the first classification', () => {
    const t = new StatusTracker(policy);
    expect(t.observe({ ok: false, latency_ms: 1 })).toBeUndefined();
    expect(t.status).toBe('degraded');
  });
});
