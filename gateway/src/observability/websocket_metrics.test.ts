import { metricsRegistry } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { registerWebSocketMetrics } from './websocket_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('WebSocket figures read at scrape time', () => {
  it('exposes WebSocket connections per door and follows the gateway counters as Prometheus counters', async () => {
    const figures = {
      connections_by_door: { alerts: 2, stream: 1 } as Record<string, number>,
      counters: {
        messages_sent: 10,
        messages_received: 4,
        bytes_sent: 700,
        bytes_received: 90,
        total_connections: 3,
        slow_disconnects: 1,
        rejected_at_capacity: 0,
        auth_failures: 1,
        resume_recovered: 2,
        resume_unrecoverable: 0,
      },
      closes_by_code: { '1000': 1 } as Record<string, number>,
      send_queue_bytes: 512,
    };
    registerWebSocketMetrics(() => figures);
    expect(await lines('marketpulse_ws_connections{')).toEqual([
      'marketpulse_ws_connections{door="alerts"} 2',
      'marketpulse_ws_connections{door="stream"} 1',
    ]);
    expect(await lines('marketpulse_ws_messages_sent_total')).toEqual(['marketpulse_ws_messages_sent_total 10']);
    expect(await lines('marketpulse_ws_sent_bytes_total')).toEqual(['marketpulse_ws_sent_bytes_total 700']);
    expect(await lines('marketpulse_ws_send_queue_bytes')).toEqual(['marketpulse_ws_send_queue_bytes 512']);
    figures.counters = {
      ...figures.counters,
      messages_sent: 25,
      bytes_received: 150,
      slow_disconnects: 2,
      rejected_at_capacity: 3,
      resume_unrecoverable: 1,
    };
    figures.connections_by_door = { alerts: 1 };
    figures.closes_by_code = { '1000': 4, '4002': 2 };
    expect(await lines('marketpulse_ws_messages_sent_total')).toEqual(['marketpulse_ws_messages_sent_total 25']);
    expect(await lines('marketpulse_ws_received_bytes_total')).toEqual(['marketpulse_ws_received_bytes_total 150']);
    expect(await lines('marketpulse_ws_slow_client_closes_total')).toEqual(['marketpulse_ws_slow_client_closes_total 2']);
    expect((await lines('marketpulse_ws_refusals_total{')).sort()).toEqual([
      'marketpulse_ws_refusals_total{reason="auth"} 1',
      'marketpulse_ws_refusals_total{reason="capacity"} 3',
    ]);
    expect(await lines('marketpulse_ws_closes_total{')).toEqual([
      'marketpulse_ws_closes_total{code="1000"} 4',
      'marketpulse_ws_closes_total{code="4002"} 2',
    ]);
    expect(await lines('marketpulse_ws_resume_reads_total{')).toEqual([
      'marketpulse_ws_resume_reads_total{outcome="recovered"} 2',
      'marketpulse_ws_resume_reads_total{outcome="cannot_recover"} 1',
    ]);
    expect(await lines('marketpulse_ws_connections{')).toEqual(['marketpulse_ws_connections{door="alerts"} 1']);
  });
});
