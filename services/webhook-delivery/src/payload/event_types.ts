import { typesWhere } from '@marketpulse/runtime';

/**
 * The topics intake consumes: the catalog's types with `webhooks: true`. webhook_delivery is not one:
 * it is the service's own outcome stream, and delivering it would make every delivery announce another.
 */
export const DELIVERABLE_EVENT_TYPES: string[] = typesWhere('webhooks');

/** The type a test send uses when the endpoint subscribes to every type. */
export const DEFAULT_TEST_EVENT_TYPE = 'prediction_complete';
