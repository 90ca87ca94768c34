import { alerting, market, prediction, providers, webhooks } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { alertSchemas, marketSchemas, monitoringSchemas as monitoring, webhookSchemas } from '@marketpulse/gateway';

const { Alert, Rule } = alertSchemas;
const { Backtest, Candle, DataQualityIssue, ModelDeployment, ModelVersion, Prediction, Quote, SymbolInfo } = marketSchemas;
const { Delivery, Webhook } = webhookSchemas;

// The API's response schemas against the proto messages they present: a field added to a proto
// (and so sent by the service) must appear in the REST/tRPC answer and the OpenAPI document.

const PAIRS: [string, { shape: object }, { fromPartial(o: object): object }][] = [
  ['Webhook', Webhook, webhooks.Endpoint],
  ['WebhookDelivery', Delivery, webhooks.Delivery],
  ['Provider', monitoring.Provider, providers.Provider],
  ['RateLimitStatus', monitoring.RateLimitStatus, providers.RateLimitStatus],
  ['ProviderStats', monitoring.ProviderStats, providers.ProviderStats],
  ['SystemStatus', monitoring.SystemStatus, providers.GetStatusResponse],
  ['SystemMetrics', monitoring.SystemMetrics, providers.SystemMetrics],
  ['LogEntry', monitoring.LogEntry, providers.LogEntry],
  ['LogList', monitoring.LogList, providers.ListLogsResponse],
  ['SchedulerStatus', monitoring.SchedulerStatus, providers.GetSchedulerStatusResponse],
  ['SchedulerJob', monitoring.SchedulerJob, providers.SchedulerJob],
  ['JobTriggered', monitoring.JobTriggered, providers.TriggerJobResponse],
  ['DatabaseStats', monitoring.DatabaseStats, providers.GetDatabaseStatsResponse],
  ['DatabaseHealth', monitoring.DatabaseHealth, providers.GetDatabaseHealthResponse],
  ['FailureAnalytics', monitoring.FailureAnalytics, providers.GetFailureAnalyticsResponse],
  ['ConfigStats', monitoring.ConfigStats, providers.GetConfigStatsResponse],
  ['Alert', Alert, alerting.Alert],
  ['AlertRule', Rule, alerting.Rule],
  ['Quote', Quote, market.Quote],
  ['SymbolInfo', SymbolInfo, market.SymbolInfo],
  ['Candle', Candle, market.Candle],
  ['DataQualityIssue', DataQualityIssue, market.DataQualityIssue],
  ['Prediction', Prediction, prediction.Prediction],
  ['ModelVersion', ModelVersion, prediction.ModelVersion],
  ['ModelDeployment', ModelDeployment, prediction.ModelDeployment],
  ['Backtest', Backtest, prediction.Backtest],
];

describe('API response schemas cover their proto messages', () => {
  for (const [name, schema, message] of PAIRS) {
    it(name, () => {
      const protoFields = Object.keys(message.fromPartial({})).sort();
      const schemaFields = Object.keys(schema.shape).sort();
      expect(
        protoFields.filter((f) => !schemaFields.includes(f)),
        `${name} misses proto fields`,
      ).toEqual([]);
    });
  }
});
