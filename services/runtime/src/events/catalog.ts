import type { events } from '@marketpulse/proto';
import { CHANNELS, type ChannelPattern } from './channels';

/** The payload oneof of `events.v1.Event` as ts-proto generates it: one member per event type. */
export type EventPayload = NonNullable<events.Event['payload']>;

/** An event type: a case of the Event payload oneof (proto/marketpulse/events/v1/event.proto). */
export type EventType = EventPayload['$case'];

/** The payload message of one event type, e.g. `market.Tick` for `market_data_update`. */
export type PayloadOf<T extends EventType> = T extends EventType
  ? Extract<EventPayload, { $case: T }> extends Record<T, infer P>
    ? P
    : never
  : never;

/**
 * Who may receive an event of the type (runtime's ownerAllows applies it to the envelope's owner):
 * - `system`: never owned; it reaches whoever may read its channel or subscribed to its type.
 * - `owned`: always a user's; it reaches that user and operators only.
 * - `system-or-owned`: owned when it comes from a user's object (a user's alert rule, webhook endpoint) or a
 *   publish-API caller names an owner (one account's position or equity), else system.
 */
export type Visibility = 'system' | 'owned' | 'system-or-owned';

export interface CatalogRow {
  /** Kafka topic, after KAFKA_TOPIC_PREFIX. */
  readonly topic: string;
  /** The hub channel the gateway publishes it to (besides `events`); `{symbol}` stands for the subject. */
  readonly channel: ChannelPattern;
  readonly visibility: Visibility;
  /** Who publishes it (the event-types API shows it). */
  readonly source: string;
  readonly description: string;
  /** Outside services may publish it through the gateway's publish API (gRPC and REST). */
  readonly publishApi: boolean;
  /** Webhook endpoints may subscribe to it (webhook_delivery is not: a delivery would announce itself). */
  readonly webhooks: boolean;
}

/** The shape the catalog must have: exactly one row per payload case, no row for anything else. */
export type EventCatalog = { readonly [T in EventType]: CatalogRow };

/**
 * Every event type, one row each, in the oneof's order. Adding an event type is the proto change
 * (a payload case) plus one row here; this does not compile while a case has no row or a row names
 * no case. CONTRIBUTING.md, "Add an event type".
 */
export const EVENT_CATALOG = {
  market_data_update: {
    topic: 'market_data_update',
    channel: CHANNELS.marketData,
    visibility: 'system',
    source: 'market-data',
    description: 'A tick: symbol, price, volume, bid/ask, time.',
    publishApi: false,
    webhooks: true,
  },
  aggregation: {
    topic: 'aggregation',
    channel: CHANNELS.aggregations,
    visibility: 'system',
    source: 'market-data',
    description: 'An OHLCV candle of a window.',
    publishApi: false,
    webhooks: true,
  },
  data_quality_issue: {
    topic: 'data_quality_issue',
    channel: CHANNELS.dataQuality,
    visibility: 'system',
    source: 'market-data',
    description: 'A gap, outlier or stale feed of a symbol.',
    publishApi: false,
    webhooks: true,
  },
  prediction_complete: {
    topic: 'prediction_complete',
    channel: CHANNELS.predictions,
    visibility: 'system',
    source: 'prediction',
    description: 'A forecast: horizon, predicted price, confidence interval, model version.',
    publishApi: false,
    webhooks: true,
  },
  model_trained: {
    topic: 'model_trained',
    channel: CHANNELS.models,
    visibility: 'system',
    source: 'prediction',
    description: 'A model version was trained (metrics).',
    publishApi: false,
    webhooks: true,
  },
  model_deployed: {
    topic: 'model_deployed',
    channel: CHANNELS.models,
    visibility: 'system',
    source: 'prediction',
    description: 'A model version was deployed.',
    publishApi: false,
    webhooks: true,
  },
  backtest_complete: {
    topic: 'backtest_complete',
    channel: CHANNELS.models,
    visibility: 'system',
    source: 'prediction',
    description: 'A backtest finished (metrics).',
    publishApi: false,
    webhooks: true,
  },
  alert_triggered: {
    topic: 'alert_triggered',
    channel: CHANNELS.alerts,
    visibility: 'system-or-owned',
    source: 'alerting',
    description: 'An alert rule fired: rule, severity, symbol, message, values.',
    publishApi: false,
    webhooks: true,
  },
  provider_status_change: {
    topic: 'provider_status_change',
    channel: CHANNELS.providers,
    visibility: 'system',
    source: 'provider-monitor',
    description: 'A provider went online, degraded or offline.',
    publishApi: false,
    webhooks: true,
  },
  rate_limit_alert: {
    topic: 'rate_limit_alert',
    channel: CHANNELS.providers,
    visibility: 'system',
    source: 'provider-monitor',
    description: 'A provider used a large share of its rate limit.',
    publishApi: false,
    webhooks: true,
  },
  status_update: {
    topic: 'status_update',
    channel: CHANNELS.status,
    visibility: 'system',
    source: 'provider-monitor',
    description: 'The system metrics snapshot (every MONITOR_STATUS_INTERVAL_MS).',
    publishApi: false,
    webhooks: true,
  },
  system_log: {
    topic: 'system_log',
    channel: CHANNELS.system,
    visibility: 'system',
    source: 'every service',
    description: 'A log line at INFO or above.',
    publishApi: true,
    webhooks: true,
  },
  system_error: {
    topic: 'system_error',
    channel: CHANNELS.system,
    visibility: 'system-or-owned',
    source: 'every service',
    description: 'An error of a service.',
    publishApi: true,
    webhooks: true,
  },
  position_update: {
    topic: 'position_update',
    channel: CHANNELS.portfolio,
    visibility: 'system-or-owned',
    source: 'publish API',
    description: 'A trading position changed (published by internal services).',
    publishApi: true,
    webhooks: true,
  },
  equity_update: {
    topic: 'equity_update',
    channel: CHANNELS.portfolio,
    visibility: 'system-or-owned',
    source: 'publish API',
    description: 'Account equity changed (published by internal services).',
    publishApi: true,
    webhooks: true,
  },
  risk_status_update: {
    topic: 'risk_status_update',
    channel: CHANNELS.portfolio,
    visibility: 'system-or-owned',
    source: 'publish API',
    description: 'Risk status changed (published by internal services).',
    publishApi: true,
    webhooks: true,
  },
  webhook_delivery: {
    topic: 'webhook_delivery',
    channel: CHANNELS.webhooks,
    visibility: 'owned',
    source: 'webhook-delivery',
    description: 'The outcome of a webhook delivery (for dashboards).',
    publishApi: false,
    webhooks: false,
  },
} as const satisfies EventCatalog;

/** Every event type, in the catalog's (the oneof's) order: what services subscribe from and the API names. */
export const EVENT_TYPES: readonly EventType[] = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOG, type);
}

type Flag = 'publishApi' | 'webhooks';

/** The event types whose rows set `key` to true, as a type: `TypesWhere<'publishApi'>`. */
export type TypesWhere<K extends Flag> = { [T in EventType]: (typeof EVENT_CATALOG)[T][K] extends true ? T : never }[EventType];

/** The event types whose rows set `key` to true, in catalog order, e.g. `typesWhere('webhooks')`. */
export function typesWhere<K extends Flag>(key: K): TypesWhere<K>[] {
  return EVENT_TYPES.filter((type): type is TypesWhere<K> => EVENT_CATALOG[type][key]);
}
