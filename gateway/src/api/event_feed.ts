import type { Principal } from '../auth';
import type { KafkaResume } from '../ws/history/kafka_resume';
import type { Frontier } from '../ws/history/positions';
import type { ChannelEncoder, Recovery, Subscriber } from '../ws/hub';

/**
 * The hub's subscribe/resume surface that subscriptions need (the WebSocket hub implements it), so
 * tRPC subscribers share the doors' channels, history and resume.
 */
export interface EventFeed {
  subscribe(channel: string, encoder: ChannelEncoder, sub: Subscriber): void;
  unsubscribe(channel: string, encoderKey: string, sub: Subscriber): void;
  recover(channels: readonly string[], sinceId: string, principal: Principal): Recovery;
  /** recover() for a client at a Kafka position (the hub's recoverFrom). */
  recoverFrom(channels: readonly string[], frontier: Frontier, principal: Principal): Recovery;
  /** Reads back from Kafka what recover() no longer holds (undefined: memory only). */
  readonly kafkaResume?: KafkaResume;
}
