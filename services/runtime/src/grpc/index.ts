export { createClient, defaultDeadlineInterceptor, withDeadline, DEFAULT_DEADLINE_MS, type CreateClientOptions } from './client';
export { readGrpcError, type ReadGrpcError } from './errors';
export { sendUntilClosed, grpcStreamConfigShape, DEFAULT_STREAM_BUFFER_MESSAGES, type StreamBoundOptions } from './stream_bound';
export { serveGrpc, type GrpcHandlers, type UnaryHandler, type StreamHandler, type ServeGrpcOptions } from './serve';
export { addReflection, answerReflection, DescriptorIndex, suiteDescriptorIndex, HEALTH_SERVICE } from './reflection';
export {
  startGrpcServer,
  serviceNameOf,
  type GrpcHealth,
  type GrpcServerHandle,
  type GrpcServiceRegistration,
  type ServingStatus,
  type StartGrpcServerOptions,
} from './server';
