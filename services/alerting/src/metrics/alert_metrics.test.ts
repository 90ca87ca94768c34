import { metricsRegistry } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { alertMetrics } from './alert_metrics';

const lines = async (prefix: string) => (await metricsRegistry().metrics()).split('\n').filter((l) => l.startsWith(prefix));

describe('alert metrics', () => {
  it('counts alert evaluations and triggers', async () => {
    const alerts = alertMetrics();
    alerts.evaluated('price', 4);
    alerts.evaluated('price', 4);
    alerts.triggered('warning', 'price_above');
    expect(await lines('marketpulse_alert_evaluations_total{')).toEqual(['marketpulse_alert_evaluations_total{signal="price"} 2']);
    expect(await lines('marketpulse_alert_rule_evaluations_total')).toEqual(['marketpulse_alert_rule_evaluations_total 8']);
    expect(await lines('marketpulse_alert_triggers_total{')).toEqual([
      'marketpulse_alert_triggers_total{severity="warning",condition="price_above"} 1',
    ]);
  });
});
