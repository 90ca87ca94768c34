import { alertRulesRouter } from './routers/alert_rules';
import { apiKeysRouter } from './routers/api_keys';
import { eventTypesRouter } from './routers/event_types';
import { marketRouter } from './routers/market';
import { monitoringRouter } from './routers/monitoring';
import { predictionsRouter } from './routers/predictions';
import { publishRouter } from './routers/publish';
import { streamsRouter } from './routers/streams';
import { webhooksRouter } from './routers/webhooks';
import { router } from './trpc';

/** Every procedure of the API: served as tRPC at /trpc and, where it has `openapi` meta, as REST. */
export const appRouter = router({
  webhooks: webhooksRouter,
  monitoring: monitoringRouter,
  alertRules: alertRulesRouter,
  market: marketRouter,
  predictions: predictionsRouter,
  apiKeys: apiKeysRouter,
  publish: publishRouter,
  streams: streamsRouter,
  eventTypes: eventTypesRouter,
});

export type AppRouter = typeof appRouter;
