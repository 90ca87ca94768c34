import { metricsRegistry } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { registerWebhookQueueMetrics, webhookDeliveryMetrics } from './webhook_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('webhook delivery metrics', () => {
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
