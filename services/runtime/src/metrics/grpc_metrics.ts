import * as grpc from '@grpc/grpc-js';
import { counter, histogram } from './registry';

// Names and labels of go-grpc-prometheus, so the usual gRPC dashboards and alerts work unchanged.
type Labels = 'grpc_type' | 'grpc_service' | 'grpc_method';

function rpcLabels(path: string, requestStream: boolean, responseStream: boolean): Record<Labels, string> {
  const [, service = 'unknown', method = 'unknown'] = path.split('/');
  const type = requestStream ? (responseStream ? 'bidi_stream' : 'client_stream') : responseStream ? 'server_stream' : 'unary';
  return { grpc_type: type, grpc_service: service, grpc_method: method };
}

function serverMetrics() {
  return {
    started: counter<Labels>({
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    }),
    handled: counter<Labels | 'grpc_code'>({
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by status code (OK, NOT_FOUND, UNAVAILABLE, ...).',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
    }),
    seconds: histogram<Labels>({
      name: 'grpc_server_handling_seconds',
      help: 'Time from the start of an RPC to its status, on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    }),
  };
}

function clientMetrics() {
  return {
    handled: counter<Labels | 'grpc_code'>({
      name: 'grpc_client_handled_total',
      help: 'RPCs completed by this process as a client, by status code.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
    }),
    seconds: histogram<Labels>({
      name: 'grpc_client_handling_seconds',
      help: 'Time from the start of an RPC to its status, as seen by the client.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    }),
  };
}

/** Counts and times every RPC the server handles; a call the client cancels counts as CANCELLED. */
export function grpcServerMetricsInterceptor(): grpc.ServerInterceptor {
  const m = serverMetrics();
  return (method, call) => {
    const labels = rpcLabels(method.path, method.requestStream, method.responseStream);
    m.started.inc(labels);
    const stopTimer = m.seconds.startTimer(labels);
    let finished = false;
    const finish = (code: grpc.status) => {
      if (finished) return;
      finished = true;
      stopTimer();
      m.handled.inc({ ...labels, grpc_code: grpc.status[code] ?? String(code) });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => finish(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        finish(status.code ?? grpc.status.OK);
        next(status);
      },
    });
  };
}

/** Counts and times every RPC a client makes, by the status it ends with. */
export function grpcClientMetricsInterceptor(): grpc.Interceptor {
  const m = clientMetrics();
  return (options, nextCall) => {
    const d = options.method_definition;
    const labels = rpcLabels(d.path, d.requestStream, d.responseStream);
    const stopTimer = m.seconds.startTimer(labels);
    return new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            stopTimer();
            m.handled.inc({ ...labels, grpc_code: grpc.status[status.code] ?? String(status.code) });
            nextStatus(status);
          },
        });
      },
    });
  };
}
