import type { events } from '@marketpulse/proto';
import type { PublicationInput } from '../ws/hub';
import { normalizeSymbol } from '../ws/doors/door';
import { ALERTS_CHANNEL } from '../ws/doors/alerts';
import { PROVIDERS_CHANNEL, STATUS_CHANNEL } from '../ws/doors/live';
import { marketDataChannel } from '../ws/doors/market_data';
import { predictionsChannel } from '../ws/doors/predictions';
import { EVENTS_CHANNEL } from '../visibility';
import { TYPE_CHANNEL_PREFIX } from '../ws/history/type_channel';
import { PORTFOLIO_CHANNEL, SYSTEM_CHANNEL } from '../ws/doors/trading';

/** Channels of symbol-less event families; symbol families are `<family>:<SYMBOL>`. */
const FIXED_CHANNEL: Readonly<Record<string, string>> = {
  model_trained: 'models',
  model_deployed: 'models',
  backtest_complete: 'models',
  alert_triggered: ALERTS_CHANNEL,
  provider_status_change: PROVIDERS_CHANNEL,
  rate_limit_alert: PROVIDERS_CHANNEL,
  status_update: STATUS_CHANNEL,
  system_log: SYSTEM_CHANNEL,
  system_error: SYSTEM_CHANNEL,
  position_update: PORTFOLIO_CHANNEL,
  equity_update: PORTFOLIO_CHANNEL,
  risk_status_update: PORTFOLIO_CHANNEL,
  webhook_delivery: 'webhooks',
};

const SYMBOL_FAMILY: Readonly<Record<string, (symbol: string) => string>> = {
  market_data_update: marketDataChannel,
  prediction_complete: predictionsChannel,
  aggregation: (s) => `aggregations:${s}`,
  data_quality_issue: (s) => `data-quality:${s}`,
};

/**
 * The channels an event is published to: its family channel (e.g. `market-data:AAPL`, `alerts`,
 * `portfolio`) and always `events`, the firehose the native door's subscriptions filter.
 */
export function channelsOf(event: events.Event, data: Readonly<Record<string, unknown>>): string[] {
  const family = SYMBOL_FAMILY[event.type];
  if (family) {
    const symbol = normalizeSymbol(event.subject || data.symbol);
    return symbol === null ? [EVENTS_CHANNEL] : [family(symbol), EVENTS_CHANNEL];
  }
  const fixed = FIXED_CHANNEL[event.type];
  return fixed ? [fixed, EVENTS_CHANNEL] : [EVENTS_CHANNEL];
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

export function traceIdOf(traceparent: string | undefined): string {
  return traceparent ? (TRACEPARENT.exec(traceparent.trim())?.[1] ?? '') : '';
}

/** The payload of the event's oneof (the case named like its type), as JSON-ready data. */
export function payloadOf(event: events.Event): Readonly<Record<string, unknown>> {
  const payload = event.payload as Record<string, unknown> | undefined;
  if (!payload) return {};
  return (payload[payload.$case as string] ?? {}) as Record<string, unknown>;
}

export function publicationOf(
  event: events.Event,
  traceparent: string | undefined,
  data: Readonly<Record<string, unknown>>,
): PublicationInput {
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    owner: event.owner,
    time: event.time ?? new Date().toISOString(),
    traceId: traceIdOf(traceparent),
    data,
  };
}

/** The event types that can reach `channel` (every type for `events`): what a resume reads back from Kafka. */
export function typesOfChannel(channel: string, allTypes: readonly string[]): string[] {
  if (channel === EVENTS_CHANNEL) return [...allTypes];
  if (channel.startsWith(TYPE_CHANNEL_PREFIX)) return [channel.slice(TYPE_CHANNEL_PREFIX.length)];
  const fixed = Object.keys(FIXED_CHANNEL).filter((type) => FIXED_CHANNEL[type] === channel);
  const family = Object.keys(SYMBOL_FAMILY).filter((type) => channel.startsWith(SYMBOL_FAMILY[type]!('')));
  return [...fixed, ...family];
}

/** The channel an event type is published to, `{symbol}` standing for the subject (the event catalog's). */
export function channelPatternOf(type: string): string {
  if (SYMBOL_FAMILY[type]) return SYMBOL_FAMILY[type]('{symbol}');
  return FIXED_CHANNEL[type] ?? EVENTS_CHANNEL;
}
