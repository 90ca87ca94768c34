import type { events } from '@marketpulse/proto';
import type { RiskStatusChange } from './evaluation/evaluator';
import { alertToProto } from './grpc/mapping';
import type { AlertRecord } from './store/alert_store';

export function alertTriggeredEvent(a: AlertRecord, source: string): events.Event {
  return {
    id: a.id,
    type: 'alert_triggered',
    source,
    subject: a.symbol || a.provider || a.rule_id,
    time: a.timestamp,
    // A user rule's alert is its owner's alone; a system rule's (no user) reaches every reader of alerts.
    owner: a.user_id,
    payload: { $case: 'alert_triggered', alert_triggered: alertToProto(a) },
  };
}

/** The seed-003 risk status update (fractions as decimal strings, e.g. "0.04"). */
export function riskStatusEvent(change: RiskStatusChange, id: string, source: string): events.Event {
  return {
    id,
    type: 'risk_status_update',
    source,
    subject: change.subject,
    time: new Date(change.at).toISOString(),
    // The risk status of a user's risk_threshold rule is that user's, like its alerts.
    owner: change.rule.user_id,
    payload: {
      $case: 'risk_status_update',
      risk_status_update: {
        status: change.status,
        message: change.message,
        drawdown_pct: String(change.drawdown_pct),
        daily_loss_pct: String(change.daily_loss_pct),
      },
    },
  };
}
