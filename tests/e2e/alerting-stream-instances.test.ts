// StreamAlerts over several alerting instances on the real Kafka and PostgreSQL: a client streaming
// from one instance receives the alerts another instance raised, each once, with its filters applied.
import { alerting } from '@marketpulse/proto';
import type { AlertingHandle } from '@marketpulse/alerting';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { alertingClient, alertsOf, ev, newAlertingSlice, rule, sleep, startAlertingOn, unary, type AlertingSlice } from './alerting.kit';

let slice: AlertingSlice;
let a: AlertingHandle;
let b: AlertingHandle;
let clientA: alerting.AlertingServiceClient;
let clientB: alerting.AlertingServiceClient;
const streams: ClientReadableStream<alerting.StreamAlertsResponse>[] = [];

beforeAll(async () => {
  slice = await newAlertingSlice('alerting-stream');
  // A evaluates in a group of its own and never re-reads rules, so a rule created through B after A
  // started is B's alone: whatever A streams for it, B raised. (Sharing one evaluator group would
  // leave which instance raises an alert to partition assignment.)
  a = await startAlertingOn(slice, { ALERT_SYSTEM_RULES: 'false', ALERT_CONSUMER_GROUP: 'alerting-a', ALERT_RULE_REFRESH_MS: '3600000' });
  b = await startAlertingOn(slice, { ALERT_SYSTEM_RULES: 'false' });
  clientA = alertingClient(a.grpcPort);
  clientB = alertingClient(b.grpcPort);
});

afterAll(async () => {
  for (const s of streams) s.cancel();
  clientA?.close();
  clientB?.close();
  await a?.close();
  await b?.close();
  await slice?.bus.close();
  await slice?.db.drop();
});

function stream(client: alerting.AlertingServiceClient, req: Partial<alerting.StreamAlertsRequest>): alerting.Alert[] {
  const got: alerting.Alert[] = [];
  const s = client.streamAlerts(alerting.StreamAlertsRequest.fromPartial(req));
  s.on('data', (m: alerting.StreamAlertsResponse) => got.push(m.alert!));
  s.on('error', () => undefined);
  streams.push(s);
  return got;
}

describe('StreamAlerts across alerting instances', () => {
  it("delivers an alert raised by another instance to a stream on this one, once, with the stream's filters", async () => {
    const raisedByA: string[] = [];
    const raisedByB: string[] = [];
    a.engine.feed.on('alert', (x: { id: string }) => raisedByA.push(x.id));
    b.engine.feed.on('alert', (x: { id: string }) => raisedByB.push(x.id));

    const onA = stream(clientA, { user_id: 'alice' });
    const onAOperator = stream(clientA, {});
    const onAOtherUser = stream(clientA, { user_id: 'bob' });
    const onAOtherSymbol = stream(clientA, { user_id: 'alice', symbols: ['MSFT'] });
    const onB = stream(clientB, { user_id: 'alice', symbols: ['aapl'] });

    const r = (
      await unary<alerting.CreateRuleResponse>((cb) =>
        clientB.createRule({ rule: rule('alice', 'AAPL above 300', 'AAPL', { $case: 'price_above', price_above: { price: 300 } }) }, cb),
      )
    ).rule!;
    // Streams are open once the server has handled them; a short pause keeps the test from racing that.
    await sleep(500);
    await slice.bus.publish([ev.tick('AAPL', 299), ev.tick('AAPL', 301)]);

    await waitFor(() => alertsOf(slice, r.id).length, { timeoutMs: 20_000, what: 'the alert_triggered event' });
    await waitFor(() => onA.length && onB.length && onAOperator.length, {
      timeoutMs: 10_000,
      what: 'the alert on the streams of both instances',
    });
    await sleep(1500); // any second copy would arrive by now

    const [published] = alertsOf(slice, r.id);
    expect(raisedByB).toEqual([published.id]);
    expect(raisedByA).toEqual([]);
    expect(onA).toEqual([published]);
    expect(onAOperator).toEqual([published]);
    expect(onB).toEqual([published]);
    expect(onAOtherUser).toEqual([]);
    expect(onAOtherSymbol).toEqual([]);
  });
});
