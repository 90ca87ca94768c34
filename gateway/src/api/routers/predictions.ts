import { z } from 'zod';
import { id, int32, isoTime as time, symbol, text } from '../schemas/common';
import { Backtest, ModelDeployment, ModelVersion, Prediction } from '../schemas/market';
import { call } from '../service_clients';
import { router, scopedProcedure } from '../trpc';

/** Model versions as users write them (AAPL-v3, v3, 3): ASCII only, so they travel in any header. */
const version = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._/-]+$/, { error: 'must be a model version such as AAPL-v3, v3 or 3' });

function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`prediction answered without ${what}`);
  return value;
}

/** Predictions and the model lifecycle under /api/v1/predictions and /api/v1/models. */
export const predictionsRouter = router({
  get: scopedProcedure('read')
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/v1/predictions/{symbol}',
        tags: ['predictions'],
        summary: 'Fresh prediction for a symbol',
        protect: true,
      },
    })
    .input(z.object({ symbol, horizon_seconds: z.coerce.number().int().min(1).max(86_400).optional() }))
    .output(Prediction)
    .query(async ({ ctx, input }) =>
      present(
        (await call(ctx.services.prediction, (c) => c.getPrediction, { symbol: input.symbol, horizon_seconds: input.horizon_seconds ?? 0 }))
          .prediction,
        'a prediction',
      ),
    ),

  models: scopedProcedure('read')
    .meta({
      openapi: { method: 'GET', path: '/api/v1/models/{symbol}', tags: ['models'], summary: 'Model versions of a symbol', protect: true },
    })
    .input(z.object({ symbol, limit: z.coerce.number().int().min(1).max(500).optional() }))
    .output(z.object({ models: z.array(ModelVersion) }))
    .query(({ ctx, input }) =>
      call(ctx.services.prediction, (c) => c.listModelVersions, { symbol: input.symbol, limit: input.limit ?? 0 }),
    ),

  train: scopedProcedure('models:write')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/models/{symbol}/train', tags: ['models'], summary: 'Train a model version', protect: true },
      successStatus: 201,
    })
    .input(
      z.object({
        symbol,
        algorithm: text(32).optional(),
        parameters: z
          .record(text(32, { min: 1 }), text(64))
          .refine((p) => Object.keys(p).length <= 16, { error: 'at most 16 parameters' })
          .optional(),
        training_start: time.optional(),
        training_end: time.optional(),
        description: text(500, { multiline: true }).optional(),
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
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/v1/models/{symbol}/deploy',
        tags: ['models'],
        summary: 'Deploy a model version',
        protect: true,
      },
    })
    .input(z.object({ symbol, version }))
    .output(ModelDeployment)
    .mutation(async ({ ctx, input }) =>
      present(
        (
          await call(ctx.services.prediction, (c) => c.deployModel, {
            symbol: input.symbol,
            version: input.version,
            requested_by: ctx.principal.userId,
          })
        ).deployment,
        'a deployment',
      ),
    ),

  rollback: scopedProcedure('models:write')
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/v1/models/{symbol}/rollback',
        tags: ['models'],
        summary: 'Roll back to the previous model version',
        protect: true,
      },
    })
    .input(z.object({ symbol, version: version.optional() }))
    .output(ModelDeployment)
    .mutation(async ({ ctx, input }) =>
      present(
        (
          await call(ctx.services.prediction, (c) => c.rollbackModel, {
            symbol: input.symbol,
            version: input.version ?? '',
            requested_by: ctx.principal.userId,
          })
        ).deployment,
        'a deployment',
      ),
    ),

  runBacktest: scopedProcedure('models:write')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/backtests', tags: ['models'], summary: 'Start a backtest', protect: true },
      successStatus: 202,
    })
    .input(
      z.object({
        symbol,
        model_version: version.optional(),
        start_time: time.optional(),
        end_time: time.optional(),
        horizon_seconds: int32({ min: 1, max: 86_400 }).optional(),
      }),
    )
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
    .input(z.object({ id: id('Backtest id.') }))
    .output(Backtest)
    .query(async ({ ctx, input }) =>
      present((await call(ctx.services.prediction, (c) => c.getBacktest, { id: input.id })).backtest, 'a backtest'),
    ),
});
