import type { webhooks } from '@marketpulse/proto';
import { shownHeaders } from './endpoint_api/hidden_headers';
import { shownUrl } from './endpoint_api/hidden_query';
import type { DeliveryView, EndpointView } from './endpoint_api/webhook_api';
import type { Attempt, EndpointStats } from './store/records';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

/**
 * The secret leaves the service only in the answers to CreateEndpoint and RotateSecret; credential
 * headers and credential query values of the URL never (shownHeaders, shownUrl).
 */
export function endpointToProto(e: EndpointView, options: { withSecret: boolean } = { withSecret: false }): webhooks.Endpoint {
  return {
    id: e.id,
    user_id: e.owner_id,
    url: shownUrl(e.url),
    events: e.event_types.length === 0 ? ['*'] : e.event_types,
    subjects: e.subjects,
    active: e.active,
    description: e.description,
    headers: shownHeaders(e.headers),
    secret: options.withSecret ? e.secret : '',
    rate_limit_per_second: e.rate_limit_per_second ?? 0,
    created_at: iso(e.created_at),
    updated_at: iso(e.updated_at),
    disabled_reason: e.active ? '' : (e.disabled_reason ?? ''),
    total_deliveries: String(e.totals.total),
    successful_deliveries: String(e.totals.delivered),
    failed_deliveries: String(e.totals.failed),
    last_delivery_at: iso(e.totals.last_delivery_at),
  };
}

export function attemptToProto(
  a: Pick<Attempt, 'attempt' | 'attempted_at' | 'status_code' | 'duration_ms' | 'response_excerpt' | 'error' | 'trigger'>,
): webhooks.Attempt {
  return {
    attempt_number: a.attempt,
    time: iso(a.attempted_at),
    status_code: a.status_code ?? 0,
    duration_ms: a.duration_ms,
    response_excerpt: a.response_excerpt,
    error: a.error ?? '',
    trigger: a.trigger,
  };
}

/** `sending` (claimed by a worker) is still `pending` to a user. */
export function publicStatus(status: string): string {
  return status === 'sending' ? 'pending' : status;
}

export function deliveryToProto(d: DeliveryView): webhooks.Delivery {
  return {
    id: d.id,
    endpoint_id: d.endpoint_id,
    event_id: d.event_id,
    event_type: d.event_type,
    subject: d.subject,
    status: publicStatus(d.status),
    attempt_count: d.attempts,
    attempts: d.attempts_made.map(attemptToProto),
    created_at: iso(d.created_at),
    next_attempt_at: d.status === 'pending' ? iso(d.next_attempt_at) : undefined,
    delivered_at: d.status === 'delivered' ? iso(d.completed_at) : undefined,
    payload: d.body,
  };
}

export function statsToProto(endpointId: string, hours: number, s: EndpointStats): webhooks.EndpointStats {
  return {
    endpoint_id: endpointId,
    window_hours: hours,
    delivered: String(s.delivered),
    failed: String(s.failed),
    pending: String(s.pending),
    success_rate: s.success_rate ?? 0,
    latency_p50_ms: s.latency_p50_ms ?? 0,
    latency_p95_ms: s.latency_p95_ms ?? 0,
    latency_p99_ms: s.latency_p99_ms ?? 0,
    last_delivery_at: iso(s.last_delivery_at),
  };
}
