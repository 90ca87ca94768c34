import * as grpc from '@grpc/grpc-js';
import { alerting } from '@marketpulse/proto';
import { createLogger, startGrpcServer, type GrpcServerHandle } from '@marketpulse/runtime';
import { endOf, expectSlowConsumerEnd, runStalledReader, startStallingLink, type StallingLink } from '@marketpulse/runtime/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertingApi } from '../alerting_api';
import { alertToProto } from '../proto_mapping';
import type { AlertRecord } from '../store/alert_store';
import { alertingService } from './server';

// StreamAlerts to a client that stops reading while alerts keep coming: the server must neither
// hold every alert for it nor drop any silently. It keeps at most GRPC_STREAM_BUFFER_MESSAGES
// unread alerts (runtime grpc/stream_bound.ts, the one policy of every server stream), then ends
// the stream with SLOW_CONSUMER (domain marketpulse) after the ones already written. Before this
// session alerting buffered without bound; audit W then cut the stream at a fixed 1,000 of its own
// (reason in alerting's table, no setting). The client reads through the runtime's
// stalling link (@marketpulse/runtime/testkit).

const logger = createLogger('stream-alerts-test', {}, { level: 'silent' });
const BUFFER = 64;
let server: GrpcServerHandle | undefined;
let client: alerting.AlertingServiceClient | undefined;
let link: StallingLink | undefined;

afterEach(async () => {
  client?.close();
  link?.close();
  await server?.close(100);
});

/** An alert with a message of 1,000 characters. */
const alert = (n: number): AlertRecord => ({
  id: String(n),
  rule_id: 'rule-1',
  rule_name: 'rule',
  user_id: 'alice',
  alert_type: 'price_alert',
  condition: 'price_above',
  severity: 'warning',
  symbol: 'AAPL',
  provider: '',
  message: 'x'.repeat(1_000),
  values: { price: n },
  timestamp: new Date(1_700_000_000_000 + n).toISOString(),
  acknowledged: false,
  acknowledged_by: '',
  acknowledged_at: undefined,
  source_event_id: `evt-${n}`,
});

describe('StreamAlerts to a client that stops reading', () => {
  it('ends the stream with SLOW_CONSUMER after every alert it took, holding at most GRPC_STREAM_BUFFER_MESSAGES for the reader', async () => {
    let listener: ((a: AlertRecord) => void) | undefined;
    let unsubscribed = false;
    const api = {
      subscribe: (_user: string, _symbols: string[], _system: boolean, onAlert: (a: AlertRecord) => void) => {
        listener = onAlert;
        return () => (unsubscribed = true);
      },
    } as unknown as AlertingApi;
    server = await startGrpcServer({ port: 0, services: [alertingService(api, logger, BUFFER)], reflection: false });
    link = await startStallingLink(server.port);
    client = new alerting.AlertingServiceClient(`127.0.0.1:${link.port}`, grpc.credentials.createInsecure());
    const stream = client.streamAlerts({ user_id: 'alice', symbols: [], include_system: false });
    const received: string[] = [];
    stream.on('data', (m: alerting.StreamAlertsResponse) => received.push(m.alert!.id));
    const ended = endOf(stream);
    for (let i = 0; i < 250 && !listener; i++) await new Promise((r) => setTimeout(r, 20));
    expect(listener).toBeDefined();

    // A reader that keeps up is never cut (2,000 alerts in bursts of a quarter of the buffer); then it
    // stalls while up to 20,000 more come, far past its transport and the server's buffer.
    const run = await runStalledReader({
      link,
      burst: BUFFER / 4,
      keepUp: 2_000,
      flood: 20_000,
      emit: (n) => listener!(alert(n)),
      received: () => received.length,
      stopped: () => unsubscribed,
      ended,
    });
    expectSlowConsumerEnd(run, {
      buffer: BUFFER,
      keepUp: 2_000,
      frameBytes: (n) => alerting.StreamAlertsResponse.encode({ alert: alertToProto(alert(n)) }).finish().length + 5,
      received,
      catchUpMethod: /ListAlerts/,
    });
  }, 60_000);
});
