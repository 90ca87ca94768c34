export { startGateway, type GatewayDeps, type GatewayHandle } from './service';
export { gatewayConfigSchema, loadGatewayConfig, type GatewayConfig } from './config';
export { HttpRouter, type RouteHandler } from './http/router';
export { sendJson } from './http/respond';
export { CLOSE, ERROR, type CloseCodeEntry, type ErrorCodeEntry } from './ws/codes';
export { Hub, type HubStats } from './ws/hub';
export type { Publication } from './ws/history';
export { canRead, createAuthenticator, type Authenticator, type Claims } from './ws/auth';
export { mintToken, type MintTokenOptions } from './ws/mint_token';
