import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../errors';
import { RuleCreate, RuleUpdate } from './alerts';

const FIELD = 'condition.percent_move.window_seconds';
const move = (window_seconds: number) => ({ percent_move: { percent: 5, window_seconds, direction: 'up' } });

/** What a client is answered when tRPC refuses the input: the gateway's 400. */
function answerTo(parsed: { success: boolean; error?: unknown }) {
  expect(parsed.success).toBe(false);
  const err = toApiError(new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error }));
  return { status: err.httpStatus, ...err.body().error };
}

describe('alert rule schemas: percent_move window_seconds', () => {
  it('refuses a window longer than the 24 h alerting keeps with a 400 naming the field and the limit', () => {
    // Up to 2^31 - 1 s was accepted and quietly answered over 24 h: "5 % within 7 days" meant 24 h.
    const message = 'must be at most 86400 (24 h, the longest alerting keeps prices for)';
    expect(answerTo(RuleCreate.safeParse({ name: 'week', symbol: 'AAPL', condition: move(7 * 86_400) }))).toMatchObject({
      status: 400,
      code: 'INVALID_ARGUMENT',
      details: { fields: [{ field: FIELD, message }] },
    });
    expect(answerTo(RuleUpdate.safeParse({ condition: move(86_401) }))).toMatchObject({
      status: 400,
      details: { fields: [{ field: FIELD }] },
    });
  });

  it('accepts windows from 1 s to 24 h', () => {
    for (const w of [1, 60, 86_400]) {
      expect(RuleCreate.safeParse({ name: 'move', symbol: 'AAPL', condition: move(w) }).success).toBe(true);
    }
    expect(answerTo(RuleCreate.safeParse({ name: 'move', symbol: 'AAPL', condition: move(0) }))).toMatchObject({
      details: { fields: [{ field: FIELD }] },
    });
  });
});
