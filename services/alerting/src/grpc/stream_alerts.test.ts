import * as grpc from '@grpc/grpc-js';
import { alerting } from '@marketpulse/proto';
import { createLogger, readGrpcError, startGrpcServer, type GrpcServerHandle } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertingApi } from '../alerting_api';
import type { AlertRecord } from '../store/alert_store';
import { alertingService } from './server';

// StreamAlerts to a client that stops reading: the server must not hold every alert for it. Before,
// each alert was written whatever the client took, so a client that opened the stream and never
// read grew the service's memory with every alert for as long as it stayed connected.

const logger = createLogger('stream-alerts-test', {}, { level: 'silent' });
let server: GrpcServerHandle | undefined;
let client: alerting.AlertingServiceClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close(100);
});

/** An alert with a message of `size` characters (big ones fill the transport's buffers sooner). */
const alert = (n: number, size: number): AlertRecord => ({
  id: `alert-${n}`,
  rule_id: 'rule-1',
  rule_name: 'rule',
  user_id: 'alice',
  alert_type: 'price_alert',
  condition: 'price_above',
  severity: 'warning',
  symbol: 'AAPL',
  provider: '',
  message: 'x'.repeat(size),
  values: { price: n },
  timestamp: new Date().toISOString(),
  acknowledged: false,
  acknowledged_by: '',
  acknowledged_at: undefined,
  source_event_id: `evt-${n}`,
});

describe('StreamAlerts to a client that does not read', () => {
  it('ends the stream with SLOW_CONSUMER (RESOURCE_EXHAUSTED) instead of buffering alerts without bound', async () => {
    let listener: ((a: AlertRecord) => void) | undefined;
    let unsubscribed = false;
    const api = {
      subscribe: (_user: string, _symbols: string[], _system: boolean, onAlert: (a: AlertRecord) => void) => {
        listener = onAlert;
        return () => (unsubscribed = true);
      },
    } as unknown as AlertingApi;
    server = await startGrpcServer({ port: 0, services: [alertingService(api, logger)], reflection: false });
    client = new alerting.AlertingServiceClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const stream = client.streamAlerts({ user_id: 'alice', symbols: [], include_system: false });
    const ended = new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve('ended without an error'));
    });
    // The client takes nothing: no 'data' listener, and the stream is paused.
    stream.pause();
    for (let i = 0; i < 100 && !listener; i++) await new Promise((r) => setTimeout(r, 20));
    expect(listener).toBeDefined();
    // 5,000 alerts of 10 KB (50 MB) for a client that reads none: far past any transport buffer.
    for (let n = 0; n < 5_000 && !unsubscribed; n++) {
      listener!(alert(n, 10_000));
      if (n % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    const outcome = await Promise.race([ended, new Promise((r) => setTimeout(() => r('still open, holding every alert'), 10_000))]);
    expect(typeof outcome === 'string' ? outcome : 'ended with an error').toBe('ended with an error');
    const e = readGrpcError(outcome);
    expect(e).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, reason: 'SLOW_CONSUMER', domain: 'marketpulse.alerting' });
    expect(e.message).toMatch(/ListAlerts/);
    expect(unsubscribed).toBe(true);
  }, 60_000);
});
