import { alerting } from '@marketpulse/proto';
import { z } from 'zod';
import { ownerFilter } from '../../auth';
import { conditionIn, maskOf, ruleOut } from '../mappers';
import { Rule, RuleCreate, RuleUpdate } from '../schemas/alerts';
import { id as idSchema, symbol } from '../schemas/common';
import { call } from '../service_clients';
import { router, scopedProcedure } from '../trpc';

const TAGS = ['alert-rules'];
const id = idSchema('Rule id.');

/** A user's alert rules, under /api/v1/alerts/rules, over the alerting service. */
export const alertRulesRouter = router({
  create: scopedProcedure('rules:write')
    .meta({
      openapi: { method: 'POST', path: '/api/v1/alerts/rules', tags: TAGS, summary: 'Create alert rule', protect: true },
      successStatus: 201,
    })
    .input(RuleCreate)
    .output(Rule)
    .mutation(async ({ ctx, input }) => {
      const rule = alerting.Rule.fromPartial({ ...input, condition: undefined, user_id: ctx.principal.userId });
      rule.condition = conditionIn(input.condition);
      return ruleOut((await call(ctx.services.alerting, (c) => c.createRule, { rule })).rule);
    }),

  list: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/alerts/rules', tags: TAGS, summary: 'List alert rules', protect: true } })
    .input(z.object({ symbol: symbol.optional(), include_system: z.boolean().optional() }))
    .output(z.array(Rule))
    .query(async ({ ctx, input }) => {
      const res = await call(ctx.services.alerting, (c) => c.listRules, {
        user_id: ownerFilter(ctx.principal),
        symbol: input.symbol ?? '',
        include_system: input.include_system ?? false,
      });
      return res.rules.map(ruleOut);
    }),

  get: scopedProcedure('read')
    .meta({ openapi: { method: 'GET', path: '/api/v1/alerts/rules/{id}', tags: TAGS, summary: 'Get alert rule', protect: true } })
    .input(z.object({ id }))
    .output(Rule)
    .query(async ({ ctx, input }) =>
      ruleOut((await call(ctx.services.alerting, (c) => c.getRule, { id: input.id, user_id: ownerFilter(ctx.principal) })).rule),
    ),

  update: scopedProcedure('rules:write')
    .meta({ openapi: { method: 'PATCH', path: '/api/v1/alerts/rules/{id}', tags: TAGS, summary: 'Update alert rule', protect: true } })
    .input(RuleUpdate.extend({ id }))
    .output(Rule)
    .mutation(async ({ ctx, input }) => {
      const { id: ruleId, condition, ...changes } = input;
      const rule = alerting.Rule.fromPartial({ ...changes, id: ruleId });
      if (condition) rule.condition = conditionIn(condition);
      const res = await call(ctx.services.alerting, (c) => c.updateRule, {
        rule,
        update_mask: maskOf({ ...changes, condition }),
        user_id: ownerFilter(ctx.principal),
      });
      return ruleOut(res.rule);
    }),

  delete: scopedProcedure('rules:write')
    .meta({
      openapi: { method: 'DELETE', path: '/api/v1/alerts/rules/{id}', tags: TAGS, summary: 'Delete alert rule', protect: true },
      successStatus: 204,
    })
    .input(z.object({ id }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await call(ctx.services.alerting, (c) => c.deleteRule, { id: input.id, user_id: ownerFilter(ctx.principal) });
    }),
});
