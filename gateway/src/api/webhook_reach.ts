import { status as GrpcStatus } from '@grpc/grpc-js';
import { channelFor, EVENT_CATALOG, EVENT_TYPES, isEventType, isSymbolFamily } from '@marketpulse/runtime';
import { patternCovers, type Principal } from '../auth';
import { ApiError } from '../errors';

/**
 * The hub channels (or channel patterns) whose events a webhook subscribed to `events` about
 * `subjects` receives: `market-data:AAPL` for market_data_update about AAPL, `market-data:*` for it
 * about every symbol, `alerts` for alert_triggered whatever the subject.
 */
export function webhookChannels(events: readonly string[], subjects: readonly string[]): string[] {
  const types = events.includes('*') ? EVENT_TYPES : events.filter(isEventType);
  // webhook-delivery matches a subject exactly, once trimmed.
  const named = subjects.map((s) => s.trim()).filter((s) => s !== '');
  const channels = new Set<string>();
  for (const type of types) {
    const pattern = EVENT_CATALOG[type].channel;
    if (!isSymbolFamily(pattern)) channels.add(pattern);
    else if (named.length === 0) channels.add(channelFor(pattern, '*'));
    else for (const subject of named) channels.add(channelFor(pattern, subject));
  }
  return [...channels];
}

/**
 * A webhook is a standing read of the events it subscribes to, so a credential may point one only
 * at channels it may read itself (the channels claim of its token or key, as on the doors and
 * tRPC subscriptions): a token for `market-data:AAPL` cannot have MSFT ticks or system errors sent
 * to a URL of its choosing. Throws CHANNEL_FORBIDDEN naming what is beyond it.
 */
export function checkWebhookReach(principal: Principal, events: readonly string[], subjects: readonly string[]): void {
  const beyond = webhookChannels(events, subjects).filter((c) => !principal.channels.some((by) => patternCovers(by, c)));
  if (beyond.length === 0) return;
  throw new ApiError(
    GrpcStatus.PERMISSION_DENIED,
    'CHANNEL_FORBIDDEN',
    `this credential may not read ${beyond.join(', ')}, so its webhooks may not receive those events; subscribe to fewer event types, or list subjects it may read`,
    { channels: beyond, fields: [{ field: 'events', message: `reaches channels this credential may not read: ${beyond.join(', ')}` }] },
  );
}
