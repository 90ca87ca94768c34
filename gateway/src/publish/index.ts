export { startPublishGrpc, type PublishGrpcOptions } from './grpc_server';
export { createEventPublisher, type EventPublisher } from './publisher';
export { PublishEvent, PublishEventBody, type PublishEventInput } from './event_contracts';
export { toEvent, fromEvent, scopedEventId } from './to_event';
export { DbPublishedIds, DEFAULT_PUBLISH_ID_RETENTION_HOURS, type PublishedIds } from './published_ids';
