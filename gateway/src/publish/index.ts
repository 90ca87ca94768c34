export { startPublishGrpc, type PublishGrpcOptions } from './grpc_server';
export { createEventPublisher } from './publisher';
export { checkWholeEvent } from './entry_checks';
export { toEvent, fromEvent, scopedEventId } from './to_event';
export { DEFAULT_PUBLISH_ID_RETENTION_HOURS, type PublishedIds } from './published_ids';
export { DbPublishedIds } from './published_ids_db';
export { MemoryPublishedIds } from './published_ids_memory';
