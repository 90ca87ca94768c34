// The request side as handlers built from injected dependencies; the gateway (service.ts) opens what they use.
export { createApiHandler, type ApiHandler, type ApiHandlerOptions } from './handler';
export { apiConfigShape, apiConfigSchema, type ApiConfig } from './config';
export { appRouter, type AppRouter } from './router';
export { buildOpenApiDocument } from './openapi';
export type { ServiceClients, ServiceHandle } from './service_clients';
export type { EventFeed } from './event_feed';
export type { StreamEvent } from '../ws/doors/door_encoders';
