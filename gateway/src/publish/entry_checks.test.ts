import { events } from '@marketpulse/proto';
import { createLogger, typesWhere } from '@marketpulse/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiContext } from '../api/context';
import { appRouter } from '../api/router';
import { PAYLOAD_CONTRACTS, PublishEventBody } from '../events/publish_contracts';
import { checkPayload, checkWholeEvent } from './entry_checks';
import { createEventPublisher } from './publisher';
import { everyIdNew } from '../testing/published_ids.testkit';
import { fromEvent } from './to_event';

// Issue 19: a published event is checked once, where it enters. The REST/tRPC route's input checks
// the envelope (PublishEventBody, also the OpenAPI document's body) and the publisher then checks
// only the payload (checkPayload); the gRPC door checks the whole event once (checkWholeEvent).
// Until session 13 the publisher checked every REST event whole again, envelope included.

const logger = createLogger('entry-checks-test', {}, { level: 'silent' });
const publisher = createEventPublisher({ publish: async () => undefined } as never, logger, everyIdNew());
const principal = { userId: 'engine', scopes: ['publish'], channels: ['*'], method: 'jwt' };
const caller = appRouter.createCaller({ principal, publisher, logger } as unknown as ApiContext);

const ENVELOPE = ['id', 'source', 'subject', 'time', 'owner'] as const;
const TYPES = typesWhere('publishApi');

/** Counts the runs of each envelope field's schema and each type's payload contract (zod runs nested schemas through `_zod.run`). */
function countChecks() {
  const schemas = { ...PublishEventBody.shape, ...PAYLOAD_CONTRACTS };
  const spies = Object.fromEntries([...ENVELOPE, ...TYPES].map((name) => [name, vi.spyOn(schemas[name]._zod, 'run')]));
  return () => Object.fromEntries(Object.entries(spies).map(([name, spy]) => [name, spy.mock.calls.length]));
}

/** Each envelope field and `type`'s contract checked `times`, no other contract. */
const checked = (type: string, times: number) =>
  Object.fromEntries([...ENVELOPE, ...TYPES].map((name) => [name, name === type || !TYPES.includes(name as never) ? times : 0]));

const equity = (id: string) => ({
  id,
  source: 'engine',
  subject: 'BENCH1',
  time: '2026-12-06T10:00:00.000Z',
  owner: 'engine',
  type: 'equity_update' as const,
  data: { total_equity: '10250.50' },
});

afterEach(() => void vi.restoreAllMocks());

describe('a published event is checked once, where it enters', () => {
  it('REST/tRPC publish.one: its envelope and its payload once each', async () => {
    const counts = countChecks();
    await caller.publish.one(equity('one-1'));
    expect(counts()).toEqual(checked('equity_update', 1));
  });

  it('REST/tRPC publish.batch: once per event', async () => {
    const counts = countChecks();
    await caller.publish.batch({ events: [equity('batch-1'), equity('batch-2'), equity('batch-3')] });
    expect(counts()).toEqual(checked('equity_update', 3));
  });

  it('the gRPC door: the whole event once', async () => {
    const counts = countChecks();
    const { data, ...envelope } = equity('grpc-1');
    const event = events.Event.fromPartial({ ...envelope, payload: { $case: 'equity_update', equity_update: data } });
    await publisher.publish([fromEvent(event)], checkWholeEvent, 'engine');
    expect(counts()).toEqual(checked('equity_update', 1));
  });
});

describe('checkPayload, on a body the route accepted', () => {
  const VALID: Record<(typeof TYPES)[number], Record<string, unknown>> = {
    position_update: { position_id: 'p1', symbol: 'BTC/USDT', status: 'open', spot_entry_price: '45000.00' },
    equity_update: { total_equity: '10250.50', current_equity: '' },
    risk_status_update: { status: 'soft_pause', message: 'paused\nfor now', drawdown_pct: '0.04' },
    system_log: { level: 'INFO', message: 'started', timestamp: '2026-12-06T10:00:00Z' },
    system_error: { service: 'engine', code: 'E_FEED', message: 'feed lost', detail: 'line 1\r\nline 2' },
  };
  // Keys of every contract and a few no contract has; values valid, empty, wrong or not text.
  const keys = [...new Set(Object.values(PAYLOAD_CONTRACTS).flatMap((c) => Object.keys(c.shape))), 'leverage', 'Status', ''];
  const value = fc.oneof(
    fc.constantFrom('45000.00', '-1', '', '1e4', 'open', 'normal', 'hard_stop', 'INFO', 'CRITICAL', '2026-12-06T10:00:00Z', 'now'),
    fc.string({ maxLength: 8 }),
    fc.anything({ maxDepth: 1 }),
  );
  /** A valid payload of `type`, often with keys dropped, changed or added. */
  const data = (type: (typeof TYPES)[number]) =>
    fc
      .tuple(fc.subarray(Object.keys(VALID[type])), fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 }))
      .map(([dropped, changed]) => ({
        ...Object.fromEntries(Object.entries(VALID[type]).filter(([k]) => !dropped.includes(k))),
        ...changed,
      }));
  const body = fc.constantFrom(...TYPES).chain((type) =>
    fc.record(
      {
        id: fc.constantFrom('e-1', 'x'.repeat(128)),
        subject: fc.constantFrom('BTC/USDT', 'BENCH1'),
        time: fc.constantFrom('2026-12-06T10:00:00Z', '2026-12-06T11:00:00+01:00'),
        type: fc.constant(type),
        data: data(type),
      },
      { requiredKeys: ['type', 'data'] },
    ),
  );

  it('answers as the whole event check does: the same event, or the same fields and messages (fast-check)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (raw) => {
        const input = PublishEventBody.parse(raw);
        const once = checkPayload(input);
        expect(once).toEqual(checkWholeEvent(input));
        if (once.ok) accepted++;
      }),
      { seed: 1913, numRuns: 500 },
    );
    // Neither branch is vacuous.
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(450);
  });
});

describe('times and figures every consumer can act on', () => {
  const event = (time: string, data: Record<string, unknown> = { total_equity: '10250.50' }, type = 'equity_update') => ({
    ...equity('bounds'),
    time,
    type,
    data,
  });
  const fields = (raw: unknown) => {
    const checked = checkWholeEvent(raw);
    return checked.ok ? [] : checked.issues.map((i) => i.field);
  };

  it('refuses a time before 1970 or more than 5 minutes ahead, on both doors, naming the field', () => {
    const ahead = new Date(Date.now() + 3_600_000).toISOString();
    // Year 0000 was stored by no one after alerting had acted on it; a date ahead held every cooldown until then.
    for (const time of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', ahead]) {
      expect(fields(event(time)), time).toEqual(['time']);
      expect(PublishEventBody.safeParse(event(time)).success, time).toBe(false);
    }
    const log = { level: 'INFO', message: 'started', timestamp: ahead };
    expect(fields(event(new Date().toISOString(), log, 'system_log'))).toEqual(['data.timestamp']);
    expect(fields(event(new Date(Date.now() + 60_000).toISOString()))).toEqual([]);
  });

  it('refuses a decimal of more than 18 digits on either side of the point', () => {
    expect(fields(event(new Date().toISOString(), { total_equity: '9'.repeat(401) }))).toEqual(['data.total_equity']);
    expect(fields(event(new Date().toISOString(), { total_equity: `1.${'5'.repeat(19)}` }))).toEqual(['data.total_equity']);
    expect(fields(event(new Date().toISOString(), { total_equity: `-${'9'.repeat(18)}.${'9'.repeat(18)}` }))).toEqual([]);
  });
});
