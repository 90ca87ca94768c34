import type { Logger } from '@marketpulse/runtime';
import type { ApiKeyStore, Principal } from '../auth';
import type { EventPublisher } from '../events/publish_contracts';
import type { KeySessions } from '../ws/key_sessions';
import type { EventFeed } from './event_feed';
import type { ServiceClients } from './service_clients';
import type { SubscriptionSlots } from './subscription_slots';

/** What every procedure sees. `principal` is null when the request carried no valid credential. */
export interface ApiContext {
  principal: Principal | null;
  /** Why the presented credential was refused, for the 401 message. */
  authError?: string;
  services: ServiceClients;
  apiKeys: ApiKeyStore;
  publisher: EventPublisher;
  feed: EventFeed;
  /** Open tRPC subscriptions per user, bounded (TRPC_MAX_SUBSCRIPTIONS_PER_USER). */
  subscriptions: SubscriptionSlots;
  /** The open streams of each API key, ended when it is revoked (shared with the WebSocket doors). */
  keySessions: KeySessions;
  logger: Logger;
}

/** The parts of ApiContext that live as long as the gateway (all but the caller). */
export type ApiDeps = Omit<ApiContext, 'principal' | 'authError'>;
