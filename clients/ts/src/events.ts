import type { EventPayloads, EventType } from './generated/api.js';

export type { EventPayloads, EventType };

/** One event as the `events` subscription carries it (seed 002's event shape), typed by its type. */
export type StreamEventOf<T extends EventType> = {
  event_id: string;
  event_type: T;
  source: string;
  subject: string;
  /** ISO-8601 time of the event. */
  timestamp: string;
  payload: EventPayloads[T];
};

/** Any event: narrow it with `event.event_type`. */
export type StreamEvent = { [T in EventType]: StreamEventOf<T> }[EventType];

/** A payload with its event type beside its fields, as the typed subscriptions carry it. */
export type TypedItem<T extends EventType> = T extends EventType ? { event_type: T } & EventPayloads[T] : never;

/** The item each subscription type delivers (gateway/src/ws/doors/stream.ts). */
export interface SubscriptionItems {
  events: StreamEvent;
  metrics: TypedItem<'status_update'>;
  alerts: TypedItem<'alert_triggered' | 'rate_limit_alert'>;
  predictions: TypedItem<'prediction_complete'>;
  aggregations: TypedItem<'aggregation'>;
  system_status: TypedItem<'provider_status_change' | 'system_error' | 'data_quality_issue'>;
}

export type SubscriptionType = keyof SubscriptionItems;

export const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'events',
  'metrics',
  'alerts',
  'predictions',
  'aggregations',
  'system_status',
];

/** The field of a `data` message's `data` that holds the item, per subscription type. */
export const ITEM_FIELD: Readonly<Record<SubscriptionType, string>> = {
  events: 'event',
  metrics: 'metrics',
  alerts: 'alert',
  predictions: 'prediction',
  aggregations: 'aggregation',
  system_status: 'status',
};

/** Seed 002 filters: dot paths to exact values; an array means any of them. */
export type Filters = Readonly<Record<string, string | number | boolean | null | readonly (string | number | boolean | null)[]>>;
