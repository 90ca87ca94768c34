import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServerHandle } from './metrics_server';
import { counter } from './registry';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('startMetricsServer', () => {
  let handle: MetricsServerHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('serves the process registry in the Prometheus text format on GET /metrics', async () => {
    counter({ name: 'marketpulse_test_widgets_total', help: 'Widgets made by the test.' }).inc(3);
    const port = await freePort();
    handle = await startMetricsServer({ port, host: '127.0.0.1' });
    expect(handle.port).toBe(port);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE marketpulse_test_widgets_total counter');
    expect(text).toMatch(/^marketpulse_test_widgets_total 3$/m);
    // The default process metrics come with the registry.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('is off for port 0', async () => {
    handle = await startMetricsServer({ port: 0 });
    expect(handle.port).toBeUndefined();
  });

  it('says which port is taken', async () => {
    const port = await freePort();
    handle = await startMetricsServer({ port, host: '127.0.0.1' });
    await expect(startMetricsServer({ port, host: '127.0.0.1' })).rejects.toThrow(`metrics server cannot listen on 127.0.0.1:${port}`);
  });
});
