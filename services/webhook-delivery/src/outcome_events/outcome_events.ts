import type { events } from '@marketpulse/proto';
import { buildEvent } from '@marketpulse/runtime';
import { attemptToProto } from '../proto_mapping';
import { newId } from '../store/ids';
import type { AttemptReport } from '../worker/attempt_runner';

const SOURCE = 'webhook-delivery';

/** The system_error event announcing that the service turned an endpoint off; it is the endpoint owner's. */
export function endpointDisabledEvent(endpointId: string, reason: string, ownerId: string): events.Event {
  const now = new Date().toISOString();
  return buildEvent('system_error', {
    id: newId('msg'),
    source: SOURCE,
    subject: endpointId,
    time: now,
    owner: ownerId,
    payload: {
      service: SOURCE,
      module: 'endpoint_health',
      code: 'WEBHOOK_ENDPOINT_DISABLED',
      message: `webhook endpoint ${endpointId} was disabled: ${reason}. Once that is fixed, set the endpoint active again and replay what it missed (ReplayFailed).`,
      detail: reason,
      timestamp: now,
      trace_id: '',
    },
  });
}

/** The webhook_delivery event for dashboards: one per attempt. */
export function deliveryOutcomeEvent(report: AttemptReport): events.Event {
  const { claim, attempt, outcome } = report;
  const now = new Date();
  return buildEvent('webhook_delivery', {
    id: newId('msg'),
    source: SOURCE,
    subject: claim.endpoint_id,
    time: now,
    // Another user's delivery outcomes name their endpoints and events: the endpoint owner's only.
    owner: claim.owner_id,
    payload: {
      delivery_id: claim.id,
      endpoint_id: claim.endpoint_id,
      user_id: claim.owner_id,
      event_id: claim.event_id,
      event_type: claim.event_type,
      status: outcome.status,
      attempt: attemptToProto({ ...attempt, trigger: claim.next_trigger }),
      next_attempt_at: outcome.status === 'pending' ? new Date(now.getTime() + outcome.retryInMs).toISOString() : undefined,
    },
  });
}
