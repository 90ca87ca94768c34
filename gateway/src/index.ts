export { startGateway, type GatewayDeps, type GatewayHandle } from './service';
export { gatewayConfigSchema, loadGatewayConfig, type GatewayConfig } from './config';
export { HttpRouter, type RouteHandler } from './http/router';
export { sendJson } from './http/respond';
export { CLOSE, ERROR, type CloseCodeEntry, type ErrorCodeEntry } from './ws/codes';
export { Hub, type HubStats } from './ws/hub';
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
export { createApiMount, type ApiMount, type ApiHandle } from './api';
export type { AppRouter } from './api/router';
export type { StreamEvent } from './api/routers/streams';
