export {
  assertPublishable,
  BusError,
  encodeEvent,
  isMarkedDecodedForm,
  markDecodedForm,
  payloadMismatch,
  topicFor,
  type Bus,
  type DeliveredEvent,
  type SubscribeOptions,
  type Subscription,
} from './bus';
export { KafkaBus, type KafkaBusOptions } from './bus_kafka';
export { createTopicsWithLeaders, type CreateTopicsOptions } from './kafka_topics';
export { MemoryBroker, MemoryBus, sharedMemoryBroker, type MemoryBrokerOptions, type MemoryBusOptions } from './bus_memory';
export { createBus, type BusConfig } from './create_bus';
export { switchableBus, type SwitchableBus } from './bus_switchable';
export { inConsumerSpan, traceHeaders } from './trace_context';
export {
  classifyFailure,
  summarizeFailure,
  unprocessableRecord,
  UnprocessableRecordError,
  type FailureKind,
  type FailureSummary,
} from './record_failure';
export { DEFAULT_HANDLER_RETRY, nextStep, type HandlerRetryPolicy, type NextStep } from './handler_retry_policy';
export { DEAD_LETTER_HEADER, DEAD_LETTER_TOPIC, deadLetterTopic, parseDeadLetter, type DeadLetter } from './dead_letter';
export {
  readDeadLetters,
  republishDeadLetters,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterStoreOptions,
} from './dead_letter_store';
