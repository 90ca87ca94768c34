import { events } from '@marketpulse/proto';
import { createLogger, isMarkedDecodedForm, typesWhere, type Bus } from '@marketpulse/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkWholeEvent } from './entry_checks';
import { createEventPublisher } from './publisher';
import { everyIdNew } from '../testing/published_ids.testkit';

// Issue 19: the in-memory bus hands the events the publish API marks (markIfDecodedForm) to
// consumers without encoding and decoding them. The mark is a promise: a marked event must be
// exactly what decoding its encoding gives, or consumers on the in-memory bus would see another
// event than consumers on Kafka. Checked here on generated publish requests of every type.

const logger = createLogger('decoded-form-test', {}, { level: 'silent' });

function setup() {
  const published: events.Event[] = [];
  const bus: Bus = {
    publish: async (e) => void published.push(...(Array.isArray(e) ? e : [e])),
    subscribe: async () => ({ close: async () => undefined }),
    health: async () => ({ ok: true, detail: '' }),
    close: async () => undefined,
  };
  return { published, publisher: createEventPublisher(bus, logger, everyIdNew()) };
}

const roundTrip = (e: events.Event) => events.Event.decode(events.Event.encode(e).finish());

const text = fc.oneof(fc.stringMatching(/^[A-Za-z0-9 ._:/-]{1,16}$/), fc.constantFrom('Konto Müller €', '日本株', 'ünïcødé ✓'));
const id = fc.stringMatching(/^[a-z0-9][a-z0-9._:-]{0,20}$/);
const decimal = fc
  .tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.option(fc.nat(99_999_999), { nil: undefined }))
  .map(([i, f]) => (f === undefined ? `${i}` : `${i}.${f}`));
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/**
 * ISO times as publishers write them: Date.toISOString's form, without milliseconds, with
 * microseconds, with an offset. Past ones: the publish API refuses a time ahead of its clock.
 */
const isoTime = fc
  .tuple(
    fc.date({ min: new Date('1971-01-01'), max: new Date(Date.now() - 60_000), noInvalidDate: true }),
    fc.constantFrom('iso', 'seconds', 'micros', 'offset'),
  )
  .map(([d, form]) => {
    const iso = d.toISOString();
    if (form === 'seconds') return `${iso.slice(0, 19)}Z`;
    if (form === 'micros') return `${iso.slice(0, 23)}456Z`;
    if (form === 'offset') return `${new Date(d.getTime() + 3_600_000).toISOString().slice(0, 23)}+01:00`;
    return iso;
  });

/** A valid `data` for each type the publish API takes. */
const DATA: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  position_update: fc.record(
    { position_id: id, symbol: text, status: fc.constantFrom('open', 'closed'), spot_entry_price: decimal, unrealized_pnl: decimal },
    { requiredKeys: ['position_id', 'symbol', 'status'] },
  ),
  equity_update: fc.record({ total_equity: decimal, peak_equity: decimal, current_equity: decimal }, { requiredKeys: ['total_equity'] }),
  risk_status_update: fc.record(
    { status: fc.constantFrom('normal', 'soft_pause', 'hard_stop'), message: text, drawdown_pct: decimal },
    { requiredKeys: ['status'] },
  ),
  system_log: fc.record(
    { level: fc.constantFrom('INFO', 'WARNING', 'ERROR', 'CRITICAL'), module: text, message: text, timestamp: isoTime, trace_id: id },
    { requiredKeys: ['level', 'message'] },
  ),
  system_error: fc.record(
    { service: text, code: id, message: text, detail: text, timestamp: isoTime },
    { requiredKeys: ['service', 'code', 'message'] },
  ),
};

const request = fc
  .constantFrom(...Object.keys(DATA))
  .chain((type) =>
    fc.record({
      type: fc.constant(type),
      data: DATA[type]!,
      id: optional(id),
      source: optional(text),
      subject: optional(text),
      time: optional(isoTime),
    }),
  )
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));

describe('events the publish API marks as in decoded form', () => {
  it('covers every type the publish API takes', () => {
    expect(Object.keys(DATA).sort()).toEqual([...typesWhere('publishApi')].sort());
  });

  it('are exactly what decoding their encoding gives; the others are not marked', async () => {
    let marked = 0;
    let unmarked = 0;
    await fc.assert(
      fc.asyncProperty(request, async (raw) => {
        const { published, publisher } = setup();
        await publisher.publish([raw], checkWholeEvent, 'trading-engine');
        const [event] = published;
        if (isMarkedDecodedForm(event!)) {
          marked++;
          expect(event).toStrictEqual(roundTrip(event!));
        } else {
          unmarked++;
          expect(event).not.toStrictEqual(roundTrip(event!));
        }
      }),
      { seed: 19, numRuns: 400 },
    );
    // Both branches ran: the property is not vacuous.
    expect(marked).toBeGreaterThan(50);
    expect(unmarked).toBeGreaterThan(50);
  });

  it('include an event published without a time, the common case', async () => {
    const { published, publisher } = setup();
    await publisher.publish([{ type: 'equity_update', subject: 'BENCH1', data: { total_equity: '1.5' } }], checkWholeEvent, 'bench');
    expect(isMarkedDecodedForm(published[0]!)).toBe(true);
  });
});
