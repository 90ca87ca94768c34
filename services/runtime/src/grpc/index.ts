export { createClient, defaultDeadlineInterceptor, withDeadline, DEFAULT_DEADLINE_MS, type CreateClientOptions } from './client';
export { grpcError, readGrpcError, APP_ERROR_CODE_KEY, APP_ERROR_DETAILS_KEY, type GrpcErrorDetails, type ReadGrpcError } from './errors';
export { reflectionPackageDefinition, DEFAULT_PROTO_ROOT } from './reflection';
export {
  startGrpcServer,
  serviceNameOf,
  type GrpcHealth,
  type GrpcServerHandle,
  type GrpcServiceRegistration,
  type ServingStatus,
  type StartGrpcServerOptions,
} from './server';
