import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events as eventsProto, type webhooks } from '@marketpulse/proto';
import type { KafkaBus } from '@marketpulse/runtime';
import { createTestDatabase, uniqueTopicPrefix, waitFor, type TestDatabase } from '../harness';
import { predictionEvent, publisher, publishWithTraceparent, Receiver, startWebhookService, type RunningService } from './webhooks-support';

// The webhook-delivery service as its own process over the real Kafka and PostgreSQL, delivering
// to a real HTTP receiver on 127.0.0.1 (WEBHOOK_ALLOW_LOOPBACK=true, schedule 200ms,500ms).

let db: TestDatabase;
let service: RunningService;
let bus: KafkaBus;
let receiver: Receiver;
let prefix: string;
/** Scripted failures: webhook-id -> statuses to answer before succeeding. */
const failFirst = new Map<string, number[]>();
let failingForever = true;

const uid = () => Math.random().toString(36).slice(2, 10);

beforeAll(async () => {
  db = await createTestDatabase('webhooks_e2e');
  prefix = uniqueTopicPrefix('webhooks-e2e');
  receiver = await Receiver.start((req, nth) => {
    if (req.path === '/down') return failingForever ? 500 : 200;
    // A careless receiver's answer: NUL, a byte that is no UTF-8.
    if (req.path === '/nul') return { status: 200, body: Buffer.from('ok\u0000\xff done', 'latin1') };
    const script = failFirst.get(req.id);
    return script && nth <= script.length ? script[nth - 1] : 200;
  });
  service = await startWebhookService({ databaseUrl: db.url, topicPrefix: prefix, label: 'webhooks-e2e' });
  bus = publisher(prefix);
});

afterAll(async () => {
  await service?.stop();
  await bus?.close();
  await receiver?.close();
  await db?.drop();
});

async function deliveredTo(userId: string, endpointId: string, eventId: string): Promise<webhooks.Delivery> {
  return waitFor(
    async () => {
      const list = await service.client.listDeliveries(userId, endpointId);
      const d = list.find((x) => x.event_id === eventId);
      return d && d.status !== 'pending' ? d : undefined;
    },
    { timeoutMs: 20_000, what: `delivery of ${eventId} to finish` },
  );
}

describe('webhook delivery', () => {
  it('signs every request so the standardwebhooks library verifies it, also during secret rotation', async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/signed'), subjects: ['SIGN'] });
    expect(ep.secret).toMatch(/^whsec_/);

    const first = predictionEvent(`evt_${uid()}`, 'SIGN');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await publishWithTraceparent(prefix, first, `00-${traceId}-00f067aa0ba902b7-01`);
    const [got] = await waitFor(() => (receiver.byId(first.id).length > 0 ? receiver.byId(first.id) : undefined), {
      timeoutMs: 20_000,
      what: 'first signed request',
    });
    const payload = new Webhook(ep.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
    expect(payload.type).toBe('prediction_complete');
    expect(payload.data).toMatchObject({ symbol: 'SIGN', predicted_price: 150.25 });
    expect(got.headers['webhook-id']).toBe(first.id);
    // The event's trace continues to the receiver (same trace id; the span id is ours when telemetry runs).
    expect(got.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const rotated = await service.client.call<webhooks.RotateSecretRequest, webhooks.RotateSecretResponse>('rotateSecret', {
      endpoint_id: ep.id,
      user_id: user,
      overlap_seconds: 600,
      new_secret: '',
    });
    const newSecret = rotated.endpoint!.secret;
    expect(newSecret).not.toBe(ep.secret);
    const second = predictionEvent(`evt_${uid()}`, 'SIGN');
    await bus.publish(second);
    const [during] = await waitFor(() => (receiver.byId(second.id).length > 0 ? receiver.byId(second.id) : undefined), {
      timeoutMs: 20_000,
      what: 'request during rotation',
    });
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(newSecret).verify(during.body, during.headers)).not.toThrow();
    expect(() => new Webhook(ep.secret).verify(during.body, during.headers)).not.toThrow();
    expect(() => new Webhook('whsec_' + Buffer.alloc(24, 7).toString('base64')).verify(during.body, during.headers)).toThrow();
  });

  it('signs with a supplied raw secret that receivers verify in raw format', async () => {
    const user = `u_${uid()}`;
    const secret = 'your-secret-key-min-16-chars';
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/raw'), subjects: ['RAW'], secret });
    const event = predictionEvent(`evt_${uid()}`, 'RAW');
    await bus.publish(event);
    await deliveredTo(user, ep.id, event.id);
    const [got] = receiver.byId(event.id);
    expect(() => new Webhook(secret, { format: 'raw' }).verify(got.body, got.headers)).not.toThrow();
    await expect(service.client.createEndpoint({ user_id: user, url: receiver.url('/raw'), secret: 'too-short' })).rejects.toMatchObject({
      appCode: 'INVALID_SECRET',
    });
  });

  it('gives a receiver that fails twice exactly one successful attempt after two failed ones, on the schedule', async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/flaky'), subjects: ['FLAKY'] });
    const event = predictionEvent(`evt_${uid()}`, 'FLAKY');
    failFirst.set(event.id, [500, 503]);
    await bus.publish(event);
    const d = await deliveredTo(user, ep.id, event.id);
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a) => [a.attempt_number, a.status_code, a.trigger])).toEqual([
      [1, 500, 'scheduled'],
      [2, 503, 'scheduled'],
      [3, 200, 'scheduled'],
    ]);
    expect(d.attempts[0].error).toMatch(/HTTP 500/);
    expect(d.attempts[0].response_excerpt).toContain('failing on purpose');
    const times = receiver.byId(event.id).map((r) => r.at);
    expect(times).toHaveLength(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(190);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(490);
    const recorded = d.attempts.map((a) => Date.parse(a.time!));
    expect(recorded[1] - recorded[0]).toBeGreaterThanOrEqual(190);
    expect(recorded[2] - recorded[1]).toBeGreaterThanOrEqual(490);
    expect(new Set(receiver.byId(event.id).map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
  });

  it("records a receiver's answer holding NUL as delivered, once, instead of sending it again after every lease", async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/nul'), subjects: ['NUL'] });
    const event = predictionEvent(`evt_${uid()}`, 'NUL');
    await bus.publish(event);
    const d = await deliveredTo(user, ep.id, event.id);
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a) => [a.attempt_number, a.status_code, a.response_excerpt])).toEqual([[1, 200, 'ok\uFFFD\uFFFD done']]);
    expect(receiver.byId(event.id)).toHaveLength(1);
  });

  it('ends a delivery to an always-failing receiver as failed, and a replay then delivers it', async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/down'), subjects: ['DOWN'] });
    const started = new Date();
    const events = [predictionEvent(`evt_${uid()}`, 'DOWN'), predictionEvent(`evt_${uid()}`, 'DOWN')];
    await bus.publish(events);
    const failed = await deliveredTo(user, ep.id, events[0].id);
    await deliveredTo(user, ep.id, events[1].id);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toHaveLength(3);

    failingForever = false;
    const replayed = await service.client.call<webhooks.ReplayDeliveryRequest, webhooks.ReplayDeliveryResponse>('replayDelivery', {
      delivery_id: failed.id,
      user_id: user,
    });
    expect(replayed.delivery!.status).toBe('delivered');
    expect(replayed.delivery!.attempts.at(-1)).toMatchObject({ attempt_number: 4, status_code: 200, trigger: 'manual' });

    const bulk = await service.client.call<webhooks.ReplayFailedRequest, webhooks.ReplayFailedResponse>('replayFailed', {
      endpoint_id: ep.id,
      user_id: user,
      start_time: started.toISOString(),
      end_time: undefined,
    });
    expect(bulk.replayed_count).toBe(1);
    const second = await waitFor(
      async () => {
        const d = (await service.client.listDeliveries(user, ep.id)).find((x) => x.event_id === events[1].id);
        return d?.status === 'delivered' ? d : undefined;
      },
      { timeoutMs: 20_000, what: 'bulk replay to deliver' },
    );
    expect(second.attempts.at(-1)).toMatchObject({ trigger: 'manual', status_code: 200 });

    const stats = await service.client.call<webhooks.GetEndpointStatsRequest, webhooks.GetEndpointStatsResponse>('getEndpointStats', {
      endpoint_id: ep.id,
      user_id: user,
      hours: 1,
    });
    expect(stats.stats).toMatchObject({ delivered: '2', failed: '0', pending: '0', success_rate: 1 });
    expect(stats.stats!.latency_p50_ms).toBeGreaterThanOrEqual(0);
  });

  it('sends a test event on request, verified like any other', async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/test'), events: ['alert_triggered'] });
    const res = await service.client.call<webhooks.SendTestEventRequest, webhooks.SendTestEventResponse>('sendTestEvent', {
      endpoint_id: ep.id,
      user_id: user,
      event_type: '',
    });
    expect(res.delivery).toMatchObject({ status: 'delivered', event_type: 'alert_triggered' });
    const [got] = receiver.byId(res.delivery!.event_id);
    expect((new Webhook(ep.secret).verify(got.body, got.headers) as { type: string }).type).toBe('alert_triggered');
  });

  it("keeps users out of each other's endpoints", async () => {
    const alice = `alice_${uid()}`;
    const mallory = `mallory_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: alice, url: receiver.url('/alice') });
    const calls: [string, unknown][] = [
      ['getEndpoint', { id: ep.id, user_id: mallory }],
      ['updateEndpoint', { endpoint: { ...ep, url: receiver.url('/stolen') }, update_mask: ['url'], user_id: mallory }],
      ['deleteEndpoint', { id: ep.id, user_id: mallory }],
      ['sendTestEvent', { endpoint_id: ep.id, user_id: mallory, event_type: '' }],
      ['listDeliveries', { endpoint_id: ep.id, user_id: mallory, status: '', limit: 0 }],
      ['rotateSecret', { endpoint_id: ep.id, user_id: mallory, overlap_seconds: 0, new_secret: '' }],
      ['getEndpointStats', { endpoint_id: ep.id, user_id: mallory, hours: 0 }],
    ];
    for (const [method, req] of calls) {
      await expect(service.client.call(method as never, req), method).rejects.toMatchObject({ appCode: 'NOT_FOUND' });
    }
    const mine = await service.client.call<webhooks.ListEndpointsRequest, webhooks.ListEndpointsResponse>('listEndpoints', {
      user_id: mallory,
    });
    expect(mine.endpoints).toEqual([]);
    const still = await service.client.call<webhooks.GetEndpointRequest, webhooks.GetEndpointResponse>('getEndpoint', {
      id: ep.id,
      user_id: alice,
    });
    expect(still.endpoint).toMatchObject({ url: receiver.url('/alice'), secret: '' });
  });

  it("sends an alert of a user's rule whose producer left the envelope's owner out to that user's endpoints only", async () => {
    const alice = `alice_${uid()}`;
    const mallory = `mallory_${uid()}`;
    const events_ = ['alert_triggered'];
    const alicesEndpoint = await service.client.createEndpoint({ user_id: alice, url: receiver.url('/alice-alerts'), events: events_ });
    const mallorysEndpoint = await service.client.createEndpoint({
      user_id: mallory,
      url: receiver.url('/mallory-alerts'),
      events: events_,
    });
    const alert = (id: string, userId: string) =>
      eventsProto.Event.fromPartial({
        id,
        type: 'alert_triggered',
        source: 'foreign-producer',
        subject: 'OWNR',
        owner: '',
        time: new Date().toISOString(),
        payload: { $case: 'alert_triggered', alert_triggered: { id, user_id: userId, symbol: 'OWNR', message: `for ${userId}` } },
      });
    const alices = `evt_alice_${uid()}`;
    const system = `evt_system_${uid()}`;
    // One subject, one partition: once the system alert is in mallory's deliveries, the intake has handled alice's.
    await bus.publish([alert(alices, alice), alert(system, '')]);
    await deliveredTo(mallory, mallorysEndpoint.id, system);
    await deliveredTo(alice, alicesEndpoint.id, alices);
    expect((await service.client.listDeliveries(mallory, mallorysEndpoint.id)).map((d) => d.event_id)).toEqual([system]);
  });

  it('updates with PATCH semantics: only the masked fields change', async () => {
    const user = `u_${uid()}`;
    const ep = await service.client.createEndpoint({ user_id: user, url: receiver.url('/patch'), description: 'first', subjects: ['A'] });
    const res = await service.client.call<webhooks.UpdateEndpointRequest, webhooks.UpdateEndpointResponse>('updateEndpoint', {
      endpoint: { ...ep, description: 'second', url: 'http://ignored.invalid/' },
      update_mask: ['description'],
      user_id: user,
    });
    expect(res.endpoint).toMatchObject({ description: 'second', url: receiver.url('/patch'), subjects: ['A'], active: true });
  });

  it('refuses endpoints on private and link-local addresses with a clear error', async () => {
    const user = `u_${uid()}`;
    for (const url of [
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/x',
    ]) {
      const err = await service.client.createEndpoint({ user_id: user, url }).catch((e: unknown) => e);
      expect(err, url).toMatchObject({ appCode: 'URL_FORBIDDEN', message: expect.stringMatching(/private|link-local/) });
    }
    await expect(service.client.createEndpoint({ user_id: user, url: 'ftp://example.com/x' })).rejects.toMatchObject({
      appCode: 'INVALID_URL',
    });
    await expect(service.client.createEndpoint({ user_id: user, url: receiver.url('/x'), events: ['no_such_type'] })).rejects.toMatchObject(
      { appCode: 'INVALID_EVENT_TYPE' },
    );
  });
});
