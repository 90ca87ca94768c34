import { describe, expect, it } from 'vitest';
import { registerProviderMetrics } from './provider_metrics';
import { metricsRegistry } from './registry';
import { webhookDeliveryMetrics } from './webhook_metrics';
import { registerWebSocketMetrics } from './websocket_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('figures read at scrape time', () => {
  it('exposes WebSocket connections per door and follows the gateway counters as Prometheus counters', async () => {
    const figures = { connections_by_door: { alerts: 2, stream: 1 }, counters: { messages_sent: 10, messages_received: 4, total_connections: 3, slow_disconnects: 1 } };
    registerWebSocketMetrics(() => figures);
    expect(await lines('marketpulse_ws_connections{')).toEqual(['marketpulse_ws_connections{door="alerts"} 2', 'marketpulse_ws_connections{door="stream"} 1']);
    expect(await lines('marketpulse_ws_messages_sent_total')).toEqual(['marketpulse_ws_messages_sent_total 10']);
    figures.counters = { ...figures.counters, messages_sent: 25, slow_disconnects: 2 };
    figures.connections_by_door = { alerts: 1 } as typeof figures.connections_by_door;
    expect(await lines('marketpulse_ws_messages_sent_total')).toEqual(['marketpulse_ws_messages_sent_total 25']);
    expect(await lines('marketpulse_ws_refusals_total{')).toEqual(['marketpulse_ws_refusals_total{reason="slow_disconnects"} 2']);
    expect(await lines('marketpulse_ws_connections{')).toEqual(['marketpulse_ws_connections{door="alerts"} 1']);
  });

  it('exposes each provider status as a state set, with latency and rate-limit usage', async () => {
    const stop = registerProviderMetrics(() => [
      { provider: 'binance', status: 'degraded', latencySeconds: 0.8, rateLimit: { used: 900, limit: 1200 } },
      { provider: 'coinbase', status: 'online' },
    ]);
    const status = await lines('marketpulse_provider_status{provider="binance"');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="degraded"} 1');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="online"} 0');
    expect(await lines('marketpulse_provider_rate_limit_usage_ratio{')).toEqual(['marketpulse_provider_rate_limit_usage_ratio{provider="binance"} 0.75']);
    expect(await lines('marketpulse_provider_check_latency_seconds{')).toEqual(['marketpulse_provider_check_latency_seconds{provider="binance"} 0.8']);
    stop();
    expect(await lines('marketpulse_provider_status{')).toEqual([]);
  });

  it('counts webhook attempts by outcome and status class', async () => {
    const m = webhookDeliveryMetrics();
    m.attempt({ eventType: 'alert_triggered', outcome: 'delivered', statusCode: 204, seconds: 0.05 });
    m.attempt({ eventType: 'alert_triggered', outcome: 'pending', statusCode: 503, seconds: 0.2 });
    m.attempt({ eventType: 'alert_triggered', outcome: 'pending', statusCode: null, seconds: 5 });
    const attempts = await lines('marketpulse_webhook_delivery_attempts_total{');
    expect(attempts).toContain('marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="delivered",status_class="2xx"} 1');
    expect(attempts).toContain('marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="pending",status_class="5xx"} 1');
    expect(attempts).toContain('marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="pending",status_class="none"} 1');
    expect(await lines('marketpulse_webhook_delivery_duration_seconds_count{outcome="pending"}')).toEqual(['marketpulse_webhook_delivery_duration_seconds_count{outcome="pending"} 2']);
  });
});
