import { events, type alerting } from '@marketpulse/proto';
import type { AlertingHandle } from '@marketpulse/alerting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness';
import { alertingClient, alertsOf, ev, newAlertingSlice, rule, startAlertingOn, unary, type AlertingSlice } from '../e2e/alerting.kit';
import { awaitDeadLetters, deadLetters, encoded, produceRaw, undecodable } from './poison.kit';

// Issue 13: a system_error whose code held a NUL character stopped alerting for good (the alert it
// raised could not be stored, and storing was retried for ever inside the handler). Now that event
// is dead-lettered and the events after it raise their alerts. The same for both consumers of the
// service: the rule evaluator and the alert stream's consumer of alert_triggered.

let slice: AlertingSlice;
let service: AlertingHandle;

beforeAll(async () => {
  slice = await newAlertingSlice('poison-alerting');
  service = await startAlertingOn(slice, {
    BUS_HANDLER_MAX_ATTEMPTS: '3',
    BUS_RETRY_BACKOFF_MAX_MS: '200',
    ALERT_CONSUMER_GROUP: 'evaluator',
    ALERT_STREAM_CONSUMER_GROUP: 'stream',
  });
}, 120_000);

afterAll(async () => {
  await service?.close();
  await slice?.bus.close();
  await slice?.db.drop();
});

const codesAlerted = () => alertsOf(slice).map((a) => /\[([A-Z_0-9]+)\]/.exec(a.message)?.[1]);

describe('alerting and poison records', () => {
  it('raises the alerts of the system errors after one whose code holds NUL, and after undecodable bytes', async () => {
    await produceRaw(slice.prefix, 'system_error', [
      encoded(ev.systemError('prediction', 'GOOD_1')),
      encoded(ev.systemError('prediction', 'BAD_\u0000_CODE')),
      encoded(ev.systemError('prediction', 'GOOD_2')),
      undecodable(),
      encoded(ev.systemError('prediction', 'GOOD_3')),
    ]);
    await waitFor(() => ['GOOD_1', 'GOOD_2', 'GOOD_3'].every((c) => codesAlerted().includes(c)), {
      timeoutMs: 90_000,
      what: 'the alerts of GOOD_1..3',
    });

    const letters = (await awaitDeadLetters(slice.prefix, 2)).filter((l) => l.group === `${slice.prefix}evaluator`);
    expect(letters.map((l) => [l.source.topic, l.source.partition, l.source.offset, l.failure.reason])).toEqual([
      [`${slice.prefix}system_error`, 0, '1', 'ALERT_NOT_STORABLE'],
      [`${slice.prefix}system_error`, 0, '3', 'EVENT_UNDECODABLE'],
    ]);
    const nul = events.Event.decode(letters[0].source.value!);
    expect(nul.payload?.$case === 'system_error' && nul.payload.system_error.code).toBe('BAD_\u0000_CODE');
  }, 120_000);

  it('sets aside a tick dated far ahead and a tick priced 0, and fires on the real crossings after them', async () => {
    const client = alertingClient(service.grpcPort);
    try {
      const create = async (r: alerting.Rule) =>
        (await unary<alerting.CreateRuleResponse>((cb) => client.createRule({ rule: r }, cb))).rule!;
      // An hour's cooldown: the tick dated 2100 fired, stored an alert of 2100, and the cooldown held the real crossing.
      const above = await create(
        rule('carol', 'AAPL above 100', 'AAPL', { $case: 'price_above', price_above: { price: 100 } }, { cooldown_seconds: 3600 }),
      );
      const below = await create(rule('carol', 'MSFT below 50', 'MSFT', { $case: 'price_below', price_below: { price: 50 } }));
      const t0 = Date.now();
      const at = (s: number) => new Date(t0 + s * 1000);
      await produceRaw(slice.prefix, 'market_data_update', [
        encoded(ev.tick('AAPL', 99, at(0))),
        encoded(ev.tick('AAPL', 101, new Date('2100-01-01T00:00:00Z'))),
        encoded(ev.tick('AAPL', 99, at(0.1))),
        encoded(ev.tick('AAPL', 101, at(0.2))),
        encoded(ev.tick('MSFT', 60, at(0))),
        // A price of 0 "fell below 50" (and is a fall of 100 % to a percent_move rule).
        encoded(ev.tick('MSFT', 0, at(0.1))),
        encoded(ev.tick('MSFT', 60, at(0.2))),
        encoded(ev.tick('MSFT', 40, at(0.3))),
      ]);
      await waitFor(() => alertsOf(slice, above.id).length >= 1 && alertsOf(slice, below.id).length >= 1, {
        timeoutMs: 90_000,
        what: 'the alerts of the real crossings',
      });
      const letters = (await awaitDeadLetters(slice.prefix, 4)).filter((l) => l.source.topic === `${slice.prefix}market_data_update`);
      expect(letters.map((l) => [l.source.offset, l.failure.reason])).toEqual([
        ['1', 'EVENT_TIME_IMPLAUSIBLE'],
        ['5', 'TICK_MALFORMED'],
      ]);
      expect(alertsOf(slice, above.id).map((a) => [a.values?.price, Date.parse(a.timestamp!) < Date.parse('2099-01-01')])).toEqual([
        [101, true],
      ]);
      expect(alertsOf(slice, below.id).map((a) => a.values?.price)).toEqual([40]);
    } finally {
      client.close();
    }
  }, 120_000);

  it('streams the alerts published after an undecodable alert_triggered record', async () => {
    const streamed: string[] = [];
    const stop = service.api.subscribe('', [], true, (a) => streamed.push(a.id));
    try {
      const alert = (id: string): events.Event =>
        events.Event.fromPartial({
          id: `evt_${id}`,
          type: 'alert_triggered',
          source: 'elsewhere',
          subject: 'AAPL',
          time: new Date().toISOString(),
          payload: {
            $case: 'alert_triggered',
            alert_triggered: {
              id,
              rule_id: 'r1',
              rule_name: 'r',
              user_id: 'alice',
              alert_type: 'price',
              condition: 'price_above',
              severity: 'info',
              symbol: 'AAPL',
              message: id,
              timestamp: new Date().toISOString(),
            },
          },
        });
      await produceRaw(slice.prefix, 'alert_triggered', [encoded(alert('alert_before')), undecodable(), encoded(alert('alert_after'))]);
      await waitFor(() => streamed.includes('alert_before') && streamed.includes('alert_after'), {
        timeoutMs: 60_000,
        what: 'both alerts on the stream',
      });
      await waitFor(
        async () =>
          (await deadLetters(slice.prefix)).some(
            (l) =>
              l.group === `${slice.prefix}stream` &&
              l.source.topic === `${slice.prefix}alert_triggered` &&
              l.failure.reason === 'EVENT_UNDECODABLE',
          ),
        {
          timeoutMs: 60_000,
          intervalMs: 1000,
          what: "the stream consumer's dead letter",
        },
      );
    } finally {
      stop();
    }
  }, 120_000);
});
