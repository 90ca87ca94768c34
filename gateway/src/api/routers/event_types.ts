import { EVENT_TYPES } from '@marketpulse/runtime';
import { z } from 'zod';
import { channelPatternOf } from '../../events/routes';
import { EventType } from '../schemas/common';
import { router, scopedProcedure } from '../trpc';

/** Who publishes each event type and what it says (DESIGN.md's table). */
const ABOUT: Readonly<Record<(typeof EVENT_TYPES)[number], { source: string; description: string }>> = {
  market_data_update: { source: 'market-data', description: 'A tick: symbol, price, volume, bid/ask, time.' },
  aggregation: { source: 'market-data', description: 'An OHLCV candle of a window.' },
  data_quality_issue: { source: 'market-data', description: 'A gap, outlier or stale feed of a symbol.' },
  prediction_complete: { source: 'prediction', description: 'A forecast: horizon, predicted price, confidence interval, model version.' },
  model_trained: { source: 'prediction', description: 'A model version was trained (metrics).' },
  model_deployed: { source: 'prediction', description: 'A model version was deployed.' },
  backtest_complete: { source: 'prediction', description: 'A backtest finished (metrics).' },
  alert_triggered: { source: 'alerting', description: 'An alert rule fired: rule, severity, symbol, message, values.' },
  provider_status_change: { source: 'provider-monitor', description: 'A provider went online, degraded or offline.' },
  rate_limit_alert: { source: 'provider-monitor', description: 'A provider used a large share of its rate limit.' },
  status_update: { source: 'provider-monitor', description: 'The system metrics snapshot (every MONITOR_STATUS_INTERVAL_MS).' },
  system_log: { source: 'every service', description: 'A log line at INFO or above.' },
  system_error: { source: 'every service', description: 'An error of a service.' },
  position_update: { source: 'publish API', description: 'A trading position changed (published by internal services).' },
  equity_update: { source: 'publish API', description: 'Account equity changed (published by internal services).' },
  risk_status_update: { source: 'publish API', description: 'Risk status changed (published by internal services).' },
  webhook_delivery: { source: 'webhook-delivery', description: 'The outcome of a webhook delivery (for dashboards).' },
};

const EventTypeInfo = z
  .object({
    type: EventType,
    source: z.string(),
    description: z.string(),
    channel: z.string().describe('WebSocket/tRPC channel it is published to ({symbol}: the subject); every event is also on `events`.'),
  })
  .meta({ id: 'EventTypeInfo' });

/** The event-type catalog: what webhooks may subscribe to and streams carry. */
export const eventTypesRouter = router({
  list: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/event-types', tags: ['events'], summary: 'List event types', protect: true } })
    .input(z.object({}))
    .output(z.object({ event_types: z.array(EventTypeInfo) }))
    .query(() => ({ event_types: EVENT_TYPES.map((type) => ({ type, ...ABOUT[type], channel: channelPatternOf(type) })) })),
});
