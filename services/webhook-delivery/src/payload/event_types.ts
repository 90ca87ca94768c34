import { EVENT_TYPES } from '@marketpulse/runtime';

/**
 * The topics intake consumes. webhook_delivery is the service's own outcome stream: delivering it
 * to endpoints would make every delivery announce another one without end.
 */
export const DELIVERABLE_EVENT_TYPES: string[] = EVENT_TYPES.filter((t) => t !== 'webhook_delivery');

/** The type a test send uses when the endpoint subscribes to every type. */
export const DEFAULT_TEST_EVENT_TYPE = 'prediction_complete';
