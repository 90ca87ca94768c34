import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/** The API's own no-op provider: what the global provider delegates to while no SDK registered one. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether no SDK registered a tracer provider (OTEL_TRACES_EXPORTER=none): every span would then be
 * a no-op, so per-event code can skip making one (and the context that would carry it).
 */
export function noTracerProvider(): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === NOOP_TRACER_PROVIDER;
}
