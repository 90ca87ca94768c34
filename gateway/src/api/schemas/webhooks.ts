import { z } from 'zod';
import { EventType, int64, timestamp } from './common';

const subscribedEvents = z.array(z.union([EventType, z.literal('*')])).min(1, { error: 'subscribe to at least one event type' });

export const WebhookCreate = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    events: subscribedEvents,
    secret: z.string().min(16, { error: 'expected at least 16 characters' }).optional().describe('Signing secret; generated when omitted. Shown only in this answer.'),
    description: z.string().max(500).optional(),
    subjects: z.array(z.string().min(1)).optional().describe('Only events about these subjects (symbols); all when omitted.'),
    headers: z.record(z.string(), z.string()).optional(),
    active: z.boolean().optional(),
    rate_limit_per_second: z.number().int().min(0).optional(),
  })
  .meta({ id: 'WebhookCreate' });

export const WebhookUpdate = WebhookCreate.omit({ secret: true })
  .partial()
  .meta({ id: 'WebhookUpdate' });

export const Webhook = z
  .object({
    id: z.string(),
    user_id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    subjects: z.array(z.string()),
    active: z.boolean(),
    description: z.string(),
    headers: z.record(z.string(), z.string()),
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
