export { startPublishGrpc, type PublishGrpcOptions } from './grpc_server';
export { createEventPublisher, type EventPublisher } from './publisher';
export { PublishEvent, PublishEventBody, type PublishEventInput } from './event_contracts';
export { toEvent, fromEvent } from './to_event';
