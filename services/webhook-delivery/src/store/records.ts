/** `sending`: claimed by a worker under lease; `cancelled`: its endpoint was disabled before it could go out. */
export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed' | 'cancelled';
export type AttemptTrigger = 'scheduled' | 'manual';

/** A rotated-out secret that signs next to the current one until `expires_at` (ISO 8601). */
export interface RetiringSecret {
  secret: string;
  expires_at: string;
}

export interface Endpoint {
  id: string;
  owner_id: string;
  url: string;
  description: string;
  /** Empty: every event type. */
  event_types: string[];
  /** Empty: every subject. */
  subjects: string[];
  active: boolean;
  disabled_reason: string | null;
  headers: Record<string, string>;
  secret: string;
  /** Oldest first; expired ones linger until the next rotation and are ignored (signing/retiring_secrets.ts). */
  retiring_secrets: RetiringSecret[];
  rate_limit_per_second: number | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface Delivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  subject: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface Attempt {
  delivery_id: string;
  attempt: number;
  trigger: AttemptTrigger;
  attempted_at: Date;
  status_code: number | null;
  duration_ms: number;
  response_excerpt: string;
  error: string | null;
  succeeded: boolean;
}

/** Totals shown with an endpoint. */
export interface EndpointTotals {
  total: number;
  delivered: number;
  failed: number;
  last_delivery_at: Date | null;
}

export interface EndpointStats {
  delivered: number;
  failed: number;
  pending: number;
  /** delivered / (delivered + failed), or null before any delivery finished. */
  success_rate: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  last_delivery_at: Date | null;
}
