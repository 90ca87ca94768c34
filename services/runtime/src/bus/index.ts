export { BusError, topicFor, type Bus, type DeliveredEvent, type SubscribeOptions, type Subscription } from './bus';
export { EVENT_TYPES } from './event_types';
export { KafkaBus, type KafkaBusOptions } from './bus_kafka';
export { MemoryBroker, MemoryBus, sharedMemoryBroker, type MemoryBrokerOptions, type MemoryBusOptions } from './bus_memory';
export { createBus, type BusConfig } from './create_bus';
export { inConsumerSpan, traceHeaders } from './trace_context';
