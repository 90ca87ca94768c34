import * as grpc from '@grpc/grpc-js';
import { grpcClientMetricsInterceptor } from '../metrics/grpc_metrics';

export const DEFAULT_DEADLINE_MS = 5000;

/** Call options whose deadline is `ms` from now. */
export function withDeadline(ms: number): grpc.CallOptions {
  return { deadline: new Date(Date.now() + ms) };
}

/**
 * Gives unary and client-streaming calls a deadline when the caller set none, so a hung server
 * cannot hold a request forever. Server streams are left alone: they are meant to stay open.
 */
export function defaultDeadlineInterceptor(ms: number): grpc.Interceptor {
  return (options, nextCall) => {
    if (options.deadline === undefined && !options.method_definition.responseStream) {
      options = { ...options, deadline: new Date(Date.now() + ms) };
    }
    return new grpc.InterceptingCall(nextCall(options));
  };
}

export interface CreateClientOptions {
  deadlineMs?: number;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ClientOptions;
}

type ClientConstructor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ClientOptions>) => C;

/** A generated grpc-js client (e.g. market.MarketDataServiceClient) with a default deadline. */
export function createClient<C extends grpc.Client>(Ctor: ClientConstructor<C>, address: string, opts: CreateClientOptions = {}): C {
  const interceptors = [
    grpcClientMetricsInterceptor(),
    defaultDeadlineInterceptor(opts.deadlineMs ?? DEFAULT_DEADLINE_MS),
    ...(opts.channelOptions?.interceptors ?? []),
  ];
  return new Ctor(address, opts.credentials ?? grpc.credentials.createInsecure(), { ...opts.channelOptions, interceptors });
}
