export { serviceIdentity, type ServiceIdentity } from './service_identity';
export { inDbSpan, inTransactionSpan, sqlOperation, type DbSpanTarget } from './db_span';
export { flushTelemetry } from './flush';
export { noTracerProvider } from './tracer_provider';
export { TraceCarryover } from './trace_carryover';
export { activeTraceparent, inTraceOf, runsByTrace } from './stored_trace';
export { runAsService, currentLogicalService } from './logical_service';
export { setHttpRouteResolver, type HttpRouteResolver } from './span_naming';
export { captureLogicalService } from './logical_service';
