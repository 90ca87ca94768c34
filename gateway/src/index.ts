export { startGateway, type GatewayDeps, type GatewayHandle } from './service';
export { gatewayConfigSchema, loadGatewayConfig, type GatewayConfig } from './config';
export { HttpRouter, type RouteHandler } from './http/router';
export { sendJson } from './http/respond';
export { CLOSE, ERROR, type CloseCodeEntry, type ErrorCodeEntry } from './ws/codes';
export { Hub, type HubStats } from './ws/hub';
// The /ws/stream door's subscription keys and frame encoder, the publish API's publisher and its id stores, the resume index
// the consumer is handed, the rate limiter, for bench/fanout/*_micro.mts.
export { streamEncoder, subscriptionId } from './ws/doors/stream';
export { PositionIndex } from './ws/history/positions';
export { checkWholeEvent, createEventPublisher, DbPublishedIds, MemoryPublishedIds } from './publish';
export { RateLimiter } from './rate_limit';
export type { Publication } from './ws/history';
export {
  canRead,
  createAuthenticator,
  hasScope,
  mintToken,
  devSecretPath,
  readDevSecret,
  readOrCreateDevSecret,
  AuthError,
  type Authenticator,
  type MintTokenOptions,
  type Principal,
  type Scope,
} from './auth';
export type { AppRouter } from './api/router';
// The API's procedures, for bench/fanout/route_micro.mts (the publish route as the REST handler calls it).
export { appRouter } from './api/router';
export type { StreamEvent } from './ws/doors/door_encoders';
export { startEventConsumer, type EventConsumerOptions } from './events/consumer';
export { channelsOf } from './events/routes';
// The API's response schemas, public so the contract tests can hold them to the proto messages.
export * as alertSchemas from './api/schemas/alerts';
export * as marketSchemas from './api/schemas/market';
export * as monitoringSchemas from './api/schemas/monitoring';
export * as webhookSchemas from './api/schemas/webhooks';
