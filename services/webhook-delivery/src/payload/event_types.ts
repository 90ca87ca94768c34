/** Every event type in DESIGN.md's table; an endpoint may subscribe to any of them, or to all ("*"). */
export const EVENT_TYPES = [
  'market_data_update',
  'aggregation',
  'data_quality_issue',
  'prediction_complete',
  'model_trained',
  'model_deployed',
  'backtest_complete',
  'alert_triggered',
  'provider_status_change',
  'rate_limit_alert',
  'status_update',
  'system_log',
  'system_error',
  'position_update',
  'equity_update',
  'risk_status_update',
  'webhook_delivery',
] as const;

/**
 * The topics intake consumes. webhook_delivery is the service's own outcome stream: delivering it
 * to endpoints would make every delivery announce another one without end.
 */
export const DELIVERABLE_EVENT_TYPES: string[] = EVENT_TYPES.filter((t) => t !== 'webhook_delivery');

/** The type a test send uses when the endpoint subscribes to every type. */
export const DEFAULT_TEST_EVENT_TYPE = 'prediction_complete';
