import type { events } from '@marketpulse/proto';
import { buildEvent } from '@marketpulse/runtime';
import type { RiskStatusChange } from './evaluation/evaluator';
import { alertToProto } from './proto_mapping';
import type { AlertRecord } from './store/alert_store';

export function alertTriggeredEvent(a: AlertRecord, source: string): events.Event {
  return buildEvent('alert_triggered', {
    id: a.id,
    source,
    subject: a.symbol || a.provider || a.rule_id,
    time: a.timestamp,
    // A user rule's alert is its owner's alone; a system rule's (no user) reaches every reader of alerts.
    owner: a.user_id,
    payload: alertToProto(a),
  });
}

/** The seed-003 risk status update (fractions as decimal strings, e.g. "0.04"). */
export function riskStatusEvent(change: RiskStatusChange, id: string, source: string): events.Event {
  return buildEvent('risk_status_update', {
    id,
    source,
    subject: change.subject,
    time: new Date(change.at),
    // The risk status of a user's risk_threshold rule is that user's, like its alerts.
    owner: change.rule.user_id,
    payload: {
      status: change.status,
      message: change.message,
      drawdown_pct: String(change.drawdown_pct),
      daily_loss_pct: String(change.daily_loss_pct),
    },
  });
}
