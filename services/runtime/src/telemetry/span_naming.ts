import type { IncomingMessage } from 'node:http';
import { ProxyTracerProvider, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import { currentLogicalService, enterGrpcServiceOwner } from './logical_service';

const GRPC_SPAN = /^grpc\.([\w.]+\/\w+)$/;

/** Turns a request's method and path into its route template (`/api/v1/webhooks/{id}`), when known. */
export type HttpRouteResolver = (method: string, path: string) => string | undefined;

const RESOLVER_KEY = Symbol.for('marketpulse.http_route_resolver');
const globals = globalThis as unknown as Record<symbol, HttpRouteResolver | undefined>;

/** The gateway registers its routes here, so HTTP server spans are named `POST /api/v1/publish`. */
export function setHttpRouteResolver(resolver: HttpRouteResolver): void {
  globals[RESOLVER_KEY] = resolver;
}

/**
 * The HTTP instrumentation's requestHook for server spans: the span is named `{method} {route}`
 * and gets `http.route`, as the HTTP conventions ask, when the route is known; otherwise it keeps
 * the bare method (a path is not a name: it would make every id its own operation).
 */
export function nameHttpServerSpan(span: Span, req: IncomingMessage): void {
  const resolve = globals[RESOLVER_KEY];
  if (!resolve || typeof req.method !== 'string') return;
  const path = (req.url ?? '/').split('?')[0];
  const route = resolve(req.method, path);
  if (!route) return;
  span.setAttribute('http.route', route);
  span.updateName(`${req.method} ${route}`);
}

/**
 * Stamps every span started while code runs as a logical service (runAsService) with that
 * service's name as the `service.name` attribute, which Zipkin's exporter takes as the span's
 * service. The SDK offers no span processor once started, so its Tracer's startSpan is wrapped
 * (every tracer shares the class, including those the instrumentations already hold). Nothing
 * changes for a process that never calls runAsService.
 */
export function stampLogicalServiceOnSpans(): void {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) return;
  const sample = provider.getDelegate().getTracer('marketpulse-logical-service');
  const proto = Object.getPrototypeOf(sample) as Tracer & { __mpStamped?: boolean };
  if (!proto || typeof proto.startSpan !== 'function' || proto.__mpStamped) return;
  const startSpan = proto.startSpan;
  proto.startSpan = function (this: Tracer, ...args: Parameters<Tracer['startSpan']>) {
    // The RPC conventions name a gRPC span `package.Service/Method`; the instrumentation prefixes `grpc.`.
    const grpcName = GRPC_SPAN.exec(args[0]);
    if (grpcName) args[0] = grpcName[1];
    // A gRPC server call arrives outside the serving service's context (see enterGrpcServiceOwner).
    if (grpcName && args[1]?.kind === SpanKind.SERVER) enterGrpcServiceOwner(grpcName[1].split('/')[0]);
    const span = startSpan.apply(this, args);
    const service = currentLogicalService();
    if (service !== undefined && span.isRecording()) span.setAttribute('service.name', service);
    return span;
  };
  proto.__mpStamped = true;
}
