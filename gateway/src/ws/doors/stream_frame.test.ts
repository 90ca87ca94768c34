import { describe, expect, it } from 'vitest';
import type { Publication } from '../history';
import { dataMessage } from './stream';

const equity: Publication = {
  seq: 1,
  id: 'bench-publisher/e1',
  channels: ['portfolio', 'events'],
  type: 'equity_update',
  source: 'bench',
  subject: 'BENCH0',
  owner: '',
  time: '2026-12-05T19:23:37.618Z',
  traceId: '',
  data: { total_equity: '4481824572449', peak_equity: '', current_equity: '10250.50' },
};

describe('/ws/stream data frames (issue 19: no repeated fields)', () => {
  it('sends an `events` item without an empty trace id or a second timestamp, and smaller than before', () => {
    const message = dataMessage('sub_x', 'events', 'event', equity);
    const json = JSON.stringify(message);
    expect(json).not.toContain('trace_id');
    expect(json.match(/"timestamp"/g)).toHaveLength(1);
    // What clients read: seed 002's shape, the resume id, the subscription, the channel, every value that was set.
    expect(message).toEqual({
      type: 'data',
      data: {
        event: {
          event_id: equity.id,
          event_type: 'equity_update',
          source: 'bench',
          subject: 'BENCH0',
          timestamp: equity.time,
          payload: equity.data,
        },
        subscription_type: 'events',
      },
      subscription_id: 'sub_x',
      id: equity.id,
      metadata: { channel: 'portfolio' },
    });
    // The frame as it was sent before this change.
    const before = JSON.stringify({
      type: 'data',
      data: {
        event: {
          event_id: equity.id,
          event_type: equity.type,
          source: equity.source,
          subject: equity.subject,
          timestamp: equity.time,
          payload: equity.data,
        },
        subscription_type: 'events',
      },
      subscription_id: 'sub_x',
      timestamp: equity.time,
      id: equity.id,
      trace_id: '',
      metadata: { channel: 'portfolio' },
    });
    expect(Buffer.byteLength(json)).toBeLessThan(Buffer.byteLength(before) - 40);
  });

  it('keeps the time and a set trace id on a payload item, and the payload whole', () => {
    const risk: Publication = {
      ...equity,
      type: 'risk_status_update',
      channels: ['risk', 'events'],
      traceId: '0af7651916cd43dd8448eb211c80319c',
      data: { status: 'normal', message: '', drawdown_pct: '0', daily_loss_pct: '' },
    };
    expect(dataMessage('sub_r', 'system_status', 'status', risk)).toEqual({
      type: 'data',
      data: {
        status: { event_type: 'risk_status_update', status: 'normal', message: '', drawdown_pct: '0', daily_loss_pct: '' },
        subscription_type: 'system_status',
      },
      subscription_id: 'sub_r',
      timestamp: equity.time,
      id: equity.id,
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      metadata: { channel: 'risk' },
    });
  });
});
