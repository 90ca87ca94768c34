import type { Principal } from '../auth';
import type { Publication } from '../ws/history';
import type { KafkaResume } from '../ws/history/kafka_resume';
import type { ChannelEncoder, Recovery, Subscriber } from '../ws/hub';

/**
 * The hub's subscribe/resume surface that subscriptions need (the WebSocket hub implements it), so
 * tRPC subscribers share the doors' channels, history and resume.
 */
export interface EventFeed {
  subscribe(channel: string, encoder: ChannelEncoder, sub: Subscriber): void;
  unsubscribe(channel: string, encoderKey: string, sub: Subscriber): void;
  recover(channels: readonly string[], sinceId: string, principal: Principal): Recovery;
  /** recover() by seq, only what `unsent` takes: a resume by position from memory (KafkaResume.fromMemory). */
  recoverAfter(
    channels: readonly string[],
    sinceSeq: number,
    principal: Principal,
    upToSeq: number,
    unsent: (pub: Publication) => boolean,
  ): Recovery;
  /** Reads back from Kafka what recover() no longer holds (undefined: memory only). */
  readonly kafkaResume?: KafkaResume;
}
