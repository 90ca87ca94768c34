import type { ChannelEncoder, Recovery, Subscriber } from '../ws/hub';

/**
 * The hub's subscribe/resume surface that subscriptions need (the WebSocket hub implements it), so
 * tRPC subscribers share the doors' channels, history and resume.
 */
export interface EventFeed {
  subscribe(channel: string, encoder: ChannelEncoder, sub: Subscriber): void;
  unsubscribe(channel: string, encoderKey: string, sub: Subscriber): void;
  recover(channels: readonly string[], sinceId: string): Recovery;
}
