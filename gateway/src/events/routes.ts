import type { events } from '@marketpulse/proto';
import { channelFor, channelMatches, EVENT_CATALOG, EVENT_TYPES, isEventType, isSymbolFamily, ownerOfEvent } from '@marketpulse/runtime';
import type { PublicationInput } from '../ws/hub';
import { normalizeSymbol } from '../ws/doors/door';
import { EVENTS_CHANNEL } from '../visibility';
import { TYPE_CHANNEL_PREFIX } from '../ws/history/type_channel';

/**
 * The channels an event is published to: its catalog channel (e.g. `market-data:AAPL`, `alerts`,
 * `portfolio`) and always `events`, the firehose the native door's subscriptions filter. A symbol
 * family's event without a valid symbol, and a type the catalog does not know, go to `events` only.
 */
export function channelsOf(event: events.Event, data: Readonly<Record<string, unknown>>): string[] {
  if (!isEventType(event.type)) return [EVENTS_CHANNEL];
  // An always-owned type whose record names no owner at all (a foreign or broken producer): nobody's to read.
  if (EVENT_CATALOG[event.type].visibility === 'owned' && ownerOfEvent(event) === '') return [];
  const pattern = EVENT_CATALOG[event.type].channel;
  if (!isSymbolFamily(pattern)) return [pattern, EVENTS_CHANNEL];
  const symbol = normalizeSymbol(event.subject || data.symbol);
  return symbol === null ? [EVENTS_CHANNEL] : [channelFor(pattern, symbol), EVENTS_CHANNEL];
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
    owner: ownerOfEvent(event),
    time: event.time ?? new Date().toISOString(),
    traceId: traceIdOf(traceparent),
    data,
  };
}

/** The event types that can reach `channel` (every type for `events`): what a resume reads back from Kafka. */
export function typesOfChannel(channel: string, allTypes: readonly string[]): string[] {
  if (channel === EVENTS_CHANNEL) return [...allTypes];
  if (channel.startsWith(TYPE_CHANNEL_PREFIX)) return [channel.slice(TYPE_CHANNEL_PREFIX.length)];
  return EVENT_TYPES.filter((type) => channelMatches(EVENT_CATALOG[type].channel, channel));
}
