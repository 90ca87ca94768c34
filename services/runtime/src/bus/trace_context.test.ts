import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inConsumerSpan } from './trace_context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN_ID = '00f067aa0ba902b7';
const headers = { traceparent: `00-${TRACE_ID}-${PRODUCER_SPAN_ID}-01` };

// inConsumerSpan skips the span while no SDK is started (issue 19); these hold it to the span's behaviour either way.
describe('inConsumerSpan', () => {
  it('without an SDK, hands back what the handler answers, and its failure, thrown at once or later, as a rejection', async () => {
    await expect(inConsumerSpan('t', headers, async () => 'answer')).resolves.toBe('answer');
    const failure = new Error('handler failed');
    await expect(inConsumerSpan('t', headers, () => Promise.reject(failure))).rejects.toBe(failure);
    const thrown = inConsumerSpan('t', headers, () => {
      throw failure;
    });
    await expect(thrown).rejects.toBe(failure);
  });

  describe('with a context manager and a propagator only', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    afterAll(() => {
      context.disable();
      propagation.disable();
    });

    it("runs the handler in the producer's trace", async () => {
      const seen = await inConsumerSpan('t', headers, async () => trace.getActiveSpan()?.spanContext().traceId);
      expect(seen).toBe(TRACE_ID);
    });
  });

  describe('with a tracer provider only', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    beforeAll(() => {
      trace.setGlobalTracerProvider(provider);
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    afterAll(() => {
      trace.disable();
      propagation.disable();
    });

    it("records a consumer span, child of the producer's span, with the record's attributes", async () => {
      await inConsumerSpan('prefix.equity_update', headers, async () => undefined, { 'messaging.message.id': 'e1' });
      await provider.forceFlush();
      const [span] = exporter.getFinishedSpans();
      expect(span?.name).toBe('process prefix.equity_update');
      expect(span?.kind).toBe(SpanKind.CONSUMER);
      expect(span?.spanContext().traceId).toBe(TRACE_ID);
      expect(span?.parentSpanContext?.spanId).toBe(PRODUCER_SPAN_ID);
      expect(span?.attributes).toMatchObject({ 'messaging.destination.name': 'prefix.equity_update', 'messaging.message.id': 'e1' });
    });
  });
});
