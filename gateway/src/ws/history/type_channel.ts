/** Prefix of the per-type channels the hub keeps besides an event's channels (see typeChannel). */
export const TYPE_CHANNEL_PREFIX = 'type:';

/**
 * The hub's channel of one event type: a filtered /ws/stream subscription resumes from the channels
 * of its types, so unrelated traffic on `events` cannot evict its window. It is never one of a
 * publication's `channels`, so visibility (which reads those) never sees it.
 */
export function typeChannel(type: string): string {
  return `${TYPE_CHANNEL_PREFIX}${type}`;
}

export function isTypeChannel(channel: string): boolean {
  return channel.startsWith(TYPE_CHANNEL_PREFIX);
}
