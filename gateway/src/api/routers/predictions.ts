import { z } from 'zod';
import { Backtest, ModelDeployment, ModelVersion, Prediction } from '../schemas/market';
import { call } from '../service_clients';
import { router, scopedProcedure } from '../trpc';

const symbol = z.string().min(1).max(32).describe('Symbol, e.g. AAPL.');
const time = z.iso.datetime({ offset: true });

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`prediction answered without ${what}`);
  return value;
}

/** Predictions and the model lifecycle under /api/v1/predictions and /api/v1/models. */
export const predictionsRouter = router({
  get: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/predictions/{symbol}', tags: ['predictions'], summary: 'Fresh prediction for a symbol', protect: true } })
    .input(z.object({ symbol, horizon_seconds: z.coerce.number().int().min(1).max(86_400).optional() }))
    .output(Prediction)
    .query(async ({ ctx, input }) =>
      present((await call(ctx.services.prediction, (c) => c.getPrediction, { symbol: input.symbol, horizon_seconds: input.horizon_seconds ?? 0 })).prediction, 'a prediction'),
    ),

  models: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/models/{symbol}', tags: ['models'], summary: 'Model versions of a symbol', protect: true } })
    .input(z.object({ symbol, limit: z.coerce.number().int().min(1).max(500).optional() }))
    .output(z.object({ models: z.array(ModelVersion) }))
    .query(({ ctx, input }) => call(ctx.services.prediction, (c) => c.listModelVersions, { symbol: input.symbol, limit: input.limit ?? 0 })),

  train: scopedProcedure('models:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/models/{symbol}/train', tags: ['models'], summary: 'Train a model version', protect: true }, successStatus: 201 })
    .input(
      z.object({
        symbol,
        algorithm: z.string().optional(),
        parameters: z.record(z.string(), z.string()).optional(),
        training_start: time.optional(),
        training_end: time.optional(),
        description: z.string().max(500).optional(),
      }),
    )
    .output(ModelVersion)
    .mutation(async ({ ctx, input }) =>
      present(
        (
          await call(ctx.services.prediction, (c) => c.trainModel, {
            symbol: input.symbol,
            algorithm: input.algorithm ?? '',
            parameters: input.parameters ?? {},
            training_start: input.training_start,
            training_end: input.training_end,
            description: input.description ?? '',
          })
        ).model,
        'a model',
      ),
    ),

  deploy: scopedProcedure('models:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/models/{symbol}/deploy', tags: ['models'], summary: 'Deploy a model version', protect: true } })
    .input(z.object({ symbol, version: z.string().min(1) }))
    .output(ModelDeployment)
    .mutation(async ({ ctx, input }) =>
      present(
        (await call(ctx.services.prediction, (c) => c.deployModel, { symbol: input.symbol, version: input.version, requested_by: ctx.principal.userId })).deployment,
        'a deployment',
      ),
    ),

  rollback: scopedProcedure('models:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/models/{symbol}/rollback', tags: ['models'], summary: 'Roll back to the previous model version', protect: true } })
    .input(z.object({ symbol, version: z.string().optional() }))
    .output(ModelDeployment)
    .mutation(async ({ ctx, input }) =>
      present(
        (await call(ctx.services.prediction, (c) => c.rollbackModel, { symbol: input.symbol, version: input.version ?? '', requested_by: ctx.principal.userId })).deployment,
        'a deployment',
      ),
    ),

  runBacktest: scopedProcedure('models:write')
    .meta({ openapi: { method: 'POST', path: '/api/v1/backtests', tags: ['models'], summary: 'Start a backtest', protect: true }, successStatus: 202 })
    .input(z.object({ symbol, model_version: z.string().optional(), start_time: time.optional(), end_time: time.optional(), horizon_seconds: z.number().int().min(1).optional() }))
    .output(Backtest)
    .mutation(async ({ ctx, input }) =>
      present(
        (
          await call(ctx.services.prediction, (c) => c.runBacktest, {
            symbol: input.symbol,
            model_version: input.model_version ?? '',
            start_time: input.start_time,
            end_time: input.end_time,
            horizon_seconds: input.horizon_seconds ?? 0,
          })
        ).backtest,
        'a backtest',
      ),
    ),

  backtest: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/backtests/{id}', tags: ['models'], summary: 'Get a backtest', protect: true } })
    .input(z.object({ id: z.string().min(1) }))
    .output(Backtest)
    .query(async ({ ctx, input }) => present((await call(ctx.services.prediction, (c) => c.getBacktest, { id: input.id })).backtest, 'a backtest')),
});
