// Shared by the alerting end-to-end suites: the service in-process over the run's real Kafka and
// PostgreSQL, a bus client that publishes the events rules watch, and one that reads what it emits.
import * as grpc from '@grpc/grpc-js';
import { alerting, events } from '@marketpulse/proto';
import { createLogger } from '@marketpulse/runtime';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig as loadAlertingConfig, startAlerting, type AlertingHandle } from '@marketpulse/alerting';
import { sliceServiceEnv } from '../harness';
import { newEventSlice, type EventSlice } from './event_slice.kit';

export type AlertingSlice = EventSlice;

/** Publishes test events and reads the service's alert_triggered / risk_status_update. */
export function newAlertingSlice(label: string): Promise<AlertingSlice> {
  return newEventSlice(label, ['alert_triggered', 'risk_status_update']);
}

export function startAlertingOn(slice: AlertingSlice, env: Record<string, string> = {}): Promise<AlertingHandle> {
  const config = loadAlertingConfig(
    sliceServiceEnv(slice, { MARKET_DATA_GRPC_ADDR: '', ALERT_KNOWN_SYMBOLS: 'AAPL,MSFT,TSLA,NVDA,AMZN', ...env }),
  );
  return startAlerting(config, { logger: createLogger('alerting-e2e', {}, { level: 'warn' }) });
}

export interface AlertingRig {
  slice: AlertingSlice;
  service: AlertingHandle;
  client: alerting.AlertingServiceClient;
}

/**
 * The service on a slice of its own with a gRPC client to it, started in a beforeAll and stopped in
 * an afterAll that this registers. A test may replace `service` and `client` (a restart); the
 * afterAll closes whichever are current.
 */
export function useAlertingRig(label: string, env: Record<string, string> = {}): AlertingRig {
  const rig = {} as Partial<AlertingRig>;
  beforeAll(async () => {
    rig.slice = await newAlertingSlice(label);
    rig.service = await startAlertingOn(rig.slice, env);
    rig.client = alertingClient(rig.service.grpcPort);
  });
  afterAll(async () => {
    rig.client?.close();
    await rig.service?.close();
    await rig.slice?.bus.close();
    await rig.slice?.db.drop();
  });
  return rig as AlertingRig;
}

export function alertingClient(port: number): alerting.AlertingServiceClient {
  return new alerting.AlertingServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export { unary } from '../harness';

/** Alerts the service published, optionally of one rule. */
export function alertsOf(slice: AlertingSlice, ruleId?: string): alerting.Alert[] {
  return slice.emitted.flatMap(({ event: e }) =>
    e.payload?.$case === 'alert_triggered' && (!ruleId || e.payload.alert_triggered.rule_id === ruleId) ? [e.payload.alert_triggered] : [],
  );
}

let seq = 0;
function envelope(subject: string, payload: NonNullable<events.Event['payload']>, source = 'e2e'): events.Event {
  return { id: `e2e-${Date.now()}-${++seq}`, type: payload.$case, source, subject, time: new Date().toISOString(), owner: '', payload };
}

export const ev = {
  /** `at` is the tick's own time (default now): cooldowns run on event time, not arrival time. */
  tick: (symbol: string, price: number, at: Date = new Date()) =>
    envelope(symbol, {
      $case: 'market_data_update',
      market_data_update: {
        symbol,
        price,
        volume: 10,
        bid: price,
        ask: price,
        provider: 'e2e',
        sequence: String(++seq),
        timestamp: at.toISOString(),
      },
    }),
  prediction: (symbol: string, predicted: number, lower: number, upper: number, horizon = 60) => {
    const now = Date.now();
    return envelope(symbol, {
      $case: 'prediction_complete',
      prediction_complete: {
        id: `pred-${now}-${++seq}`,
        symbol,
        horizon_seconds: horizon,
        predicted_price: predicted,
        confidence: 0.9,
        interval: { lower, upper, level: 0.95 },
        model_version: 'e2e',
        current_price: predicted,
        timestamp: new Date(now).toISOString(),
        target_time: new Date(now + horizon * 1000).toISOString(),
      },
    });
  },
  equity: (account: string, current: number, peak: number) =>
    envelope(account, {
      $case: 'equity_update',
      equity_update: { total_equity: String(current), peak_equity: String(peak), current_equity: String(current) },
    }),
  riskStatus: (account: string, status: string, drawdown: number) =>
    envelope(
      account,
      {
        $case: 'risk_status_update',
        risk_status_update: { status, message: 'from the engine', drawdown_pct: String(drawdown), daily_loss_pct: '0' },
      },
      'trading-engine',
    ),
  rateLimit: (provider: string, used: number, limit: number) =>
    envelope(provider, {
      $case: 'rate_limit_alert',
      rate_limit_alert: { provider, used, limit, percentage: (used / limit) * 100, severity: 'warning', limit_type: 'per_minute' },
    }),
  providerStatus: (provider: string, from: string, to: string) =>
    envelope(provider, {
      $case: 'provider_status_change',
      provider_status_change: { provider, old_status: from, new_status: to, details: {} },
    }),
  dataQuality: (symbol: string, kind: string) =>
    envelope(symbol, {
      $case: 'data_quality_issue',
      data_quality_issue: {
        id: `dq-${++seq}`,
        kind,
        symbol,
        provider: 'e2e',
        severity: 'warning',
        detail: 'e2e',
        observed_value: 0,
        expected_value: 0,
        detected_at: new Date().toISOString(),
      },
    }),
  systemError: (service: string, code: string) =>
    envelope(service, {
      $case: 'system_error',
      system_error: { service, module: 'e2e', code, message: 'e2e failure', detail: '', timestamp: new Date().toISOString(), trace_id: '' },
    }),
};

export function rule(
  userId: string,
  name: string,
  symbol: string,
  condition: alerting.RuleCondition['kind'],
  extra: Partial<alerting.Rule> = {},
): alerting.Rule {
  return alerting.Rule.fromPartial({ user_id: userId, name, symbol, enabled: true, condition: { kind: condition }, ...extra });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
