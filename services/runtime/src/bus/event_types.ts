/**
 * Every event type of DESIGN.md's table, one per payload case of `events.Event` and one Kafka topic
 * each: the list services subscribe from and the API names.
 */
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
