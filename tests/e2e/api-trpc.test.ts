import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@marketpulse/tests';
import { createMarketpulseClient, type RouterOutputs } from '@marketpulse/client';
import { tokenFor, useApiOnFakes } from './api.kit';

// The typed client of clients/ts against the gateway's /trpc: a query, a mutation, errors that keep
// their code, and an event subscription that resumes after its connection drops.

const rig = useApiOnFakes();
/** An event as `streams.events` delivers it (onData's `e.data`), not /ws/stream's StreamEvent. */
type SubscribedEvent = RouterOutputs['streams']['events'] extends AsyncIterable<{ data: infer E }> ? E : never;

function publishToHub(type: string, data: Record<string, unknown>) {
  const id = randomUUID();
  rig.api.hub.publish(['portfolio', 'events'], {
    id,
    type,
    source: 'test',
    subject: 'BTC/USDT',
    time: new Date().toISOString(),
    owner: '',
    traceId: '',
    data,
  });
  return id;
}

describe('typed tRPC client', () => {
  it('runs a query and a mutation with full types', async () => {
    const client = createMarketpulseClient({ url: rig.api.base, token: tokenFor('carol') });
    const created = await client.webhooks.create.mutate({ url: 'https://example.com/hook', events: ['alert_triggered'] });
    expect(created.id).toMatch(/^wh_/);
    expect(created.total_deliveries).toBe(0);
    const status = await client.monitoring.status.query({});
    expect(status.system_health).toBe('degraded');
    const listed = await client.webhooks.list.query({});
    expect(listed.map((w) => w.id)).toEqual([created.id]);
  });

  it('surfaces the error table: code, HTTP status and the field of a validation error', async () => {
    const client = createMarketpulseClient({ url: rig.api.base, token: tokenFor('carol') });
    const err = await client.webhooks.create.mutate({ url: 'nope', events: ['alert_triggered'] }).catch((e: unknown) => e as any);
    expect(err.data).toMatchObject({ code: 'INVALID_ARGUMENT', httpStatus: 400, details: { fields: [{ field: 'url' }] } });
    const anonymous = createMarketpulseClient({ url: rig.api.base });
    const denied = await anonymous.monitoring.status.query({}).catch((e: unknown) => e as any);
    expect(denied.data).toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401 });
    expect(JSON.stringify(denied)).not.toMatch(/\.ts:\d+/);
  });

  it('resumes a subscription from its last event id after the connection drops', async () => {
    const client = createMarketpulseClient({ url: rig.api.base, token: tokenFor('dave') });
    const received: SubscribedEvent[] = [];
    let started = 0;
    const sub = client.streams.events.subscribe(
      { channels: ['portfolio'] },
      { onStarted: () => void started++, onData: (e) => void received.push(e.data), onError: () => undefined },
    );
    try {
      await waitFor(() => started >= 1 || undefined, { what: 'the subscription to start', timeoutMs: 10_000 });
      const first = publishToHub('position_update', { position_id: 'p1', symbol: 'BTC/USDT', status: 'open' });
      await waitFor(() => received.find((e) => e.id === first), { what: 'the first event', timeoutMs: 10_000 });

      rig.api.dropConnections();
      // Published while the client is away: only the hub's history can give them back.
      const missed = [
        publishToHub('equity_update', { total_equity: '10000.00' }),
        publishToHub('risk_status_update', { status: 'soft_pause' }),
      ];
      await waitFor(() => (missed.every((id) => received.some((e) => e.id === id)) ? true : undefined), {
        what: 'the events published during the disconnect',
        timeoutMs: 15_000,
      });
      const after = publishToHub('position_update', { position_id: 'p1', symbol: 'BTC/USDT', status: 'closed' });
      await waitFor(() => received.find((e) => e.id === after), { what: 'a live event after the resume', timeoutMs: 10_000 });
      expect(received.map((e) => e.id)).toEqual([first, ...missed, after]);
      expect(received[1]).toMatchObject({ type: 'equity_update', data: { total_equity: '10000.00' } });
    } finally {
      sub.unsubscribe();
    }
  });

  it('replays what followed a given lastEventId to a new subscription', async () => {
    const before = publishToHub('equity_update', { total_equity: '1.00' });
    const later = [publishToHub('equity_update', { total_equity: '2.00' }), publishToHub('equity_update', { total_equity: '3.00' })];
    const client = createMarketpulseClient({ url: rig.api.base, token: tokenFor('erin') });
    const received: string[] = [];
    const sub = client.streams.events.subscribe(
      { channels: ['portfolio'], types: ['equity_update'], lastEventId: before },
      { onData: (e) => void received.push(e.id) },
    );
    try {
      await waitFor(() => (received.length >= 2 ? true : undefined), { what: 'the replayed events', timeoutMs: 10_000 });
      expect(received.slice(0, 2)).toEqual(later);
    } finally {
      sub.unsubscribe();
    }
  });
});
