/**
 * OpenTelemetry bootstrap, loaded with `node --require .../dist/telemetry/register.js` so the SDK
 * patches http, grpc, pg, kafkajs and pino before any of them is first required. Configured only by
 * the standard OTEL_* variables; OTEL_TRACES_EXPORTER defaults to `none`, which starts nothing.
 * It must not import the runtime index: that would load the instrumented modules too early.
 */
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { serviceIdentity } from './service_identity';

function start(): void {
  const exporter = (process.env.OTEL_TRACES_EXPORTER ?? 'none').trim();
  if (exporter === '' || exporter === 'none' || process.env.OTEL_SDK_DISABLED === 'true') return;

  const id = serviceIdentity();
  const sdk = new NodeSDK({
    serviceName: id.name,
    resource: resourceFromAttributes({
      'service.name': id.name,
      'service.version': id.version,
      'service.instance.id': id.instanceId,
    }),
    // Metrics are served by prom-client on /metrics and logs go to stdout; the SDK exports them only
    // when the operator asks for it explicitly.
    ...(process.env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(process.env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation(),
      new GrpcInstrumentation(),
      new PgInstrumentation(),
      new KafkaJsInstrumentation(),
      new PinoInstrumentation({ disableLogSending: !process.env.OTEL_LOGS_EXPORTER }),
    ],
  });
  sdk.start();

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
