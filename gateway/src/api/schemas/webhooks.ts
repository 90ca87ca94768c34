import { EVENT_TYPES, HIDDEN_HEADER_VALUE, HIDDEN_QUERY_VALUE } from '@marketpulse/runtime';
import { z } from 'zod';
import { int32, int64, text, timestamp } from './common';

/** An HTTP header name (RFC 9110 token). */
const HeaderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)" });
/** An HTTP header value that every HTTP stack can send: tab, visible Latin-1 and spaces, no other control characters. */
const HeaderValue = z
  .string()
  .max(4096)
  .regex(/^[\t\u0020-\u007e\u00a0-\u00ff]*$/, {
    error: 'must be visible Latin-1 text (no control characters or characters beyond U+00FF)',
  });

const subscribedEvents = z
  .array(z.enum([...EVENT_TYPES, '*']))
  .min(1, { error: 'subscribe to at least one event type' })
  .max(64);

export const WebhookCreate = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2048),
    events: subscribedEvents,
    secret: text(256)
      .min(16, { error: 'expected at least 16 characters' })
      .optional()
      .describe('Signing secret; generated when omitted. Shown only in this answer.'),
    description: text(1000, { multiline: true }).optional(),
    subjects: z
      .array(text(256, { min: 1 }))
      .max(1000)
      .optional()
      .describe('Only events about these subjects (symbols); all when omitted.'),
    headers: z
      .record(HeaderName, HeaderValue)
      .refine((h) => Object.keys(h).length <= 20, { error: 'at most 20 headers' })
      .optional()
      .describe('Extra headers sent with every delivery (at most 20; values in visible Latin-1, as HTTP carries them).'),
    active: z.boolean().optional(),
    rate_limit_per_second: int32({ min: 0, max: 10_000 }).optional().describe('Deliveries per second at most; 0 is unlimited.'),
  })
  .meta({ id: 'WebhookCreate' });

export const WebhookUpdate = WebhookCreate.omit({ secret: true })
  .extend({
    headers: z
      .record(HeaderName, z.union([z.literal(HIDDEN_HEADER_VALUE), HeaderValue]))
      .refine((h) => Object.keys(h).length <= 20, { error: 'at most 20 headers' })
      .optional()
      .describe(`As on create; a header read back as "${HIDDEN_HEADER_VALUE}" and sent so keeps its value.`),
  })
  .partial()
  .meta({ id: 'WebhookUpdate' });

export const Webhook = z
  .object({
    id: z.string(),
    user_id: z.string(),
    url: z
      .string()
      .describe(
        `A query parameter carrying a credential (a name with key, token, secret, auth, pass, sig, session or credential) shows "${HIDDEN_QUERY_VALUE}"; sending the URL back with it, to the same address, keeps its value.`,
      ),
    events: z.array(z.string()),
    subjects: z.array(z.string()),
    active: z.boolean(),
    description: z.string(),
    headers: z
      .record(z.string(), z.string())
      .describe(
        `Extra headers sent with every delivery. A header carrying a credential (Authorization, Cookie, or a name with key, token, secret, auth, pass, sig, session or credential) shows "${HIDDEN_HEADER_VALUE}"; sending that back in an update keeps its value.`,
      ),
    secret: z.string().optional().describe('Present only when the webhook is created.'),
    rate_limit_per_second: z.number().int(),
    created_at: timestamp,
    updated_at: timestamp,
    disabled_reason: z.string(),
    total_deliveries: int64,
    successful_deliveries: int64,
    failed_deliveries: int64,
    last_delivery_at: timestamp,
  })
  .meta({ id: 'Webhook' });

export const DeliveryAttempt = z
  .object({
    attempt_number: z.number().int(),
    time: timestamp,
    status_code: z.number().int(),
    duration_ms: z.number().int(),
    response_excerpt: z.string(),
    error: z.string(),
    trigger: z.string(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const Delivery = z
  .object({
    id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    subject: z.string(),
    status: z.string(),
    attempt_count: z.number().int(),
    attempts: z.array(DeliveryAttempt),
    created_at: timestamp,
    next_attempt_at: timestamp,
    delivered_at: timestamp,
    payload: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookTestResult = z
  .object({ webhook_id: z.string(), success: z.boolean(), message: z.string(), delivery: Delivery.nullable() })
  .meta({ id: 'WebhookTestResult' });

export const ReplayFailedResult = z
  .object({
    replayed_count: z.number().int().describe('Failed deliveries queued again (status pending).'),
    delivery_ids: z.array(z.string()),
  })
  .meta({ id: 'WebhookReplayFailedResult' });

export const EndpointStats = z
  .object({
    endpoint_id: z.string(),
    window_hours: z.number().int(),
    delivered: int64,
    failed: int64,
    pending: int64,
    success_rate: z.number().describe('delivered / (delivered + failed), 0..1; 0 when nothing finished.'),
    latency_p50_ms: z.number(),
    latency_p95_ms: z.number(),
    latency_p99_ms: z.number(),
    last_delivery_at: timestamp,
  })
  .meta({ id: 'WebhookEndpointStats' });
