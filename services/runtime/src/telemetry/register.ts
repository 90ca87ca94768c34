/**
 * OpenTelemetry bootstrap, loaded with `node --require .../dist/telemetry/register.js` so the SDK
 * patches http, grpc, pg and pino before any of them is first required. kafkajs is not
 * instrumented: the bus makes its Kafka spans itself (bus/send_spans.ts, bus/trace_context.ts), since
 * the instrumentation parents every record of a producer request on the request's context, which
 * keeps records of different traces out of one request. Configured only by
 * the standard OTEL_* variables (OTEL_TRACES_EXPORTER=otlp|zipkin|console|none, the exporters'
 * endpoints, OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, OTEL_RESOURCE_ATTRIBUTES, ...).
 * OTEL_TRACES_EXPORTER defaults to `none`, which loads and starts nothing: the API stays a no-op.
 * It must not import the runtime index: that would load the instrumented modules too early.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';

/** Scrapes and probes would otherwise start a trace of their own every few seconds. */
const UNTRACED_PATHS = new Set(['/metrics', '/health', '/livez', '/readyz', '/favicon.ico']);

function start(): void {
  const exporter = (process.env.OTEL_TRACES_EXPORTER ?? 'none').trim();
  if (exporter === '' || exporter === 'none' || process.env.OTEL_SDK_DISABLED === 'true') return;

  // Required here, not imported above: with tracing off none of the SDK is loaded.
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded lazily, only when tracing is on */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  const { serviceIdentity } = require('./service_identity') as typeof import('./service_identity');
  const { redactClientSpanUrl, redactServerSpanQuery } = require('./span_urls') as typeof import('./span_urls');
  const { nameHttpServerSpan, stampLogicalServiceOnSpans } = require('./span_naming') as typeof import('./span_naming');

  const id = serviceIdentity();
  const sdk = new NodeSDK({
    serviceName: id.name,
    resource: resourceFromAttributes({
      'service.name': id.name,
      'service.namespace': 'marketpulse',
      'service.version': id.version,
      'service.instance.id': id.instanceId,
    }),
    // Metrics are served by prom-client on /metrics and logs go to stdout; the SDK exports them only
    // when the operator asks for it explicitly.
    ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(process.env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.has((req.url ?? '/').split('?')[0]),
        // An incoming request is an IncomingMessage (it has `url`); an outgoing one a ClientRequest.
        requestHook: (span, req) => {
          if ('url' in req && 'httpVersion' in req) {
            nameHttpServerSpan(span, req as IncomingMessage);
            redactServerSpanQuery(span, req as IncomingMessage);
          } else redactClientSpanUrl(span, req as ClientRequest);
        },
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: [/^(Check|Watch|ServerReflectionInfo)$/] }),
      // A statement outside any span is a poller's (a worker claiming due work): no trace of its own.
      new PgInstrumentation({ requireParentSpan: true }),
      // runtime's logger already writes trace_id/span_id on every line inside a span.
      new PinoInstrumentation({ disableLogCorrelation: true, disableLogSending: !process.env.OTEL_LOGS_EXPORTER }),
    ],
  });
  sdk.start();
  stampLogicalServiceOnSpans();
  const { TELEMETRY_FLUSH_KEY } = require('./flush') as typeof import('./flush');
  /* eslint-enable @typescript-eslint/no-require-imports */
  (globalThis as Record<symbol, unknown>)[TELEMETRY_FLUSH_KEY] = () => sdk.shutdown();

  // Flush buffered spans on shutdown. When nothing else handles the signal, exit as Node would have.
  const flush = (signal: NodeJS.Signals) => {
    sdk
      .shutdown()
      .catch((err: unknown) => console.error(JSON.stringify({ level: 'error', msg: 'telemetry flush failed', err: String(err) })))
      .finally(() => {
        if (process.listenerCount(signal) === 0) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      });
  };
  process.once('SIGTERM', flush);
  process.once('SIGINT', flush);
}

start();
