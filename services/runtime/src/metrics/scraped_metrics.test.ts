import { describe, expect, it } from 'vitest';
import { registerProviderMetrics } from './provider_metrics';
import { metricsRegistry } from './registry';
import { alertMetrics, providerCheckMetrics } from './domain_metrics';
import { registerWebhookQueueMetrics, webhookDeliveryMetrics } from './webhook_metrics';
import { registerWebSocketMetrics } from './websocket_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('figures read at scrape time', () => {
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

  it('reads the webhook backlog at scrape time and counts failures by endpoint state', async () => {
    let depth = 3;
    const stop = registerWebhookQueueMetrics(async () => ({
      depth,
      oldestAgeSeconds: 42.5,
      endpoints: { active: 2, failing: 1, disabled: 0 },
    }));
    expect(await lines('marketpulse_webhook_queue_depth')).toEqual(['marketpulse_webhook_queue_depth 3']);
    expect(await lines('marketpulse_webhook_oldest_pending_age_seconds')).toEqual(['marketpulse_webhook_oldest_pending_age_seconds 42.5']);
    expect(await lines('marketpulse_webhook_endpoints{')).toContain('marketpulse_webhook_endpoints{state="failing"} 1');
    depth = 0;
    expect(await lines('marketpulse_webhook_queue_depth')).toEqual(['marketpulse_webhook_queue_depth 0']);
    stop();
    const m = webhookDeliveryMetrics();
    m.attempt({ eventType: 'x', outcome: 'failed', statusCode: 500, seconds: 0.1, endpointState: 'disabled' });
    m.attempt({ eventType: 'x', outcome: 'delivered', statusCode: 200, seconds: 0.1, endpointState: 'disabled' });
    expect(await lines('marketpulse_webhook_delivery_failures_total{')).toEqual([
      'marketpulse_webhook_delivery_failures_total{endpoint_state="disabled"} 1',
    ]);
  });

  it('counts alert evaluations, triggers and provider checks', async () => {
    const alerts = alertMetrics();
    alerts.evaluated('price', 4);
    alerts.evaluated('price', 4);
    alerts.triggered('warning', 'price_above');
    providerCheckMetrics()('binance', 'timeout');
    expect(await lines('marketpulse_alert_evaluations_total{')).toEqual(['marketpulse_alert_evaluations_total{signal="price"} 2']);
    expect(await lines('marketpulse_alert_rule_evaluations_total')).toEqual(['marketpulse_alert_rule_evaluations_total 8']);
    expect(await lines('marketpulse_alert_triggers_total{')).toEqual([
      'marketpulse_alert_triggers_total{severity="warning",condition="price_above"} 1',
    ]);
    expect(await lines('marketpulse_provider_checks_total{')).toEqual([
      'marketpulse_provider_checks_total{provider="binance",outcome="timeout"} 1',
    ]);
  });

  it('exposes each provider status as a state set, with latency and rate-limit usage', async () => {
    const stop = registerProviderMetrics(() => [
      { provider: 'binance', status: 'degraded', latencySeconds: 0.8, rateLimit: { used: 900, limit: 1200 } },
      { provider: 'coinbase', status: 'online' },
    ]);
    const status = await lines('marketpulse_provider_status{provider="binance"');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="degraded"} 1');
    expect(status).toContain('marketpulse_provider_status{provider="binance",status="online"} 0');
    expect(await lines('marketpulse_provider_rate_limit_usage_ratio{')).toEqual([
      'marketpulse_provider_rate_limit_usage_ratio{provider="binance"} 0.75',
    ]);
    expect(await lines('marketpulse_provider_check_latency_seconds{')).toEqual([
      'marketpulse_provider_check_latency_seconds{provider="binance"} 0.8',
    ]);
    stop();
    expect(await lines('marketpulse_provider_status{')).toEqual([]);
  });

  it('counts webhook attempts by outcome and status class', async () => {
    const m = webhookDeliveryMetrics();
    m.attempt({ eventType: 'alert_triggered', outcome: 'delivered', statusCode: 204, seconds: 0.05 });
    m.attempt({ eventType: 'alert_triggered', outcome: 'pending', statusCode: 503, seconds: 0.2 });
    m.attempt({ eventType: 'alert_triggered', outcome: 'pending', statusCode: null, seconds: 5 });
    const attempts = await lines('marketpulse_webhook_delivery_attempts_total{');
    expect(attempts).toContain(
      'marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="delivered",status_class="2xx"} 1',
    );
    expect(attempts).toContain(
      'marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="pending",status_class="5xx"} 1',
    );
    expect(attempts).toContain(
      'marketpulse_webhook_delivery_attempts_total{event_type="alert_triggered",outcome="pending",status_class="none"} 1',
    );
    expect(await lines('marketpulse_webhook_delivery_duration_seconds_count{outcome="pending"}')).toEqual([
      'marketpulse_webhook_delivery_duration_seconds_count{outcome="pending"} 2',
    ]);
  });
});
