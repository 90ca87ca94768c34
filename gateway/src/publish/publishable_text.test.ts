import { status as GrpcStatus } from '@grpc/grpc-js';
import type { events } from '@marketpulse/proto';
import { createLogger, type Bus } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../errors';
import { checkWholeEvent } from './entry_checks';
import { createEventPublisher } from './publisher';
import { everyIdNew } from '../testing/published_ids.testkit';

// Issue 13: the publish API put events with NUL in their id or subject on the bus, where they
// stopped webhook intake and alerting. Now it refuses any id, subject, source or payload text it
// cannot carry safely (publishable_text.ts), naming the field; nothing reaches the bus.

const logger = createLogger('publishable-text-test', {}, { level: 'silent' });

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

const position = { position_id: 'p1', symbol: 'BTC/USDT', status: 'open' };
const systemError = { service: 'engine', code: 'E_FEED', message: 'feed lost' };

async function refusal(raw: unknown[]): Promise<{ error: ApiError; published: events.Event[] }> {
  const { published, publisher } = setup();
  const error = (await publisher.publish(raw, checkWholeEvent, 'trading-engine').then(
    () => expect.fail('expected the publish to be refused'),
    (e: unknown) => e,
  )) as ApiError;
  return { error, published };
}

const fieldsOf = (e: ApiError) => (e.details as { fields: { field: string }[] }).fields.map((f) => f.field);

describe('publish API text rules', () => {
  it.each([
    ['NUL in the id', { id: 'pos\u0000-1', type: 'position_update', data: position }, 'id'],
    ['a space in the id', { id: 'pos 1', type: 'position_update', data: position }, 'id'],
    ['an id over 128 characters', { id: 'a'.repeat(129), type: 'position_update', data: position }, 'id'],
    ['NUL in the subject', { subject: 'BTC\u0000USDT', type: 'position_update', data: position }, 'subject'],
    ['a line break in the subject', { subject: 'BTC\nUSDT', type: 'position_update', data: position }, 'subject'],
    ['a lone surrogate in the subject', { subject: 'BTC\ud800', type: 'position_update', data: position }, 'subject'],
    ['DEL in the source', { source: 'engine\u007f', type: 'position_update', data: position }, 'source'],
    ['NUL in a system error code', { type: 'system_error', data: { ...systemError, code: 'E_\u0000' } }, 'data.code'],
    // Names alerting keeps state by (service|code): 8,000 characters each grew its memory 16 KB an error.
    ['a system error code over 128 characters', { type: 'system_error', data: { ...systemError, code: 'E'.repeat(129) } }, 'data.code'],
    [
      'a system error service over 128 characters',
      { type: 'system_error', data: { ...systemError, service: 's'.repeat(129) } },
      'data.service',
    ],
    [
      'a C1 control in a payload symbol (and so in the subject it becomes)',
      { type: 'position_update', data: { ...position, symbol: 'BTC\u0085' } },
      'subject',
    ],
  ])('refuses %s', async (_what, event, field) => {
    const { error, published } = await refusal([event]);
    expect(error.grpcStatus).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.httpStatus).toBe(400);
    expect(fieldsOf(error)).toContain(field);
    expect(published).toEqual([]);
  });

  it('names the event of a batch at fault and publishes none of the batch', async () => {
    const { error, published } = await refusal([
      { id: 'ok-1', type: 'position_update', data: position },
      { id: 'bad\u0000', type: 'position_update', data: position },
    ]);
    expect(fieldsOf(error)).toEqual(['events.1.id']);
    expect(published).toEqual([]);
  });

  it('accepts the ids, subjects and texts publishers use, line breaks in messages included', async () => {
    const { published, publisher } = setup();
    await publisher.publish(
      [
        { id: 'pos-42:v1.2_a', subject: 'Konto Müller €', type: 'position_update', data: position },
        { type: 'system_error', data: { ...systemError, message: 'feed lost\n\tretrying', detail: 'line 1\r\nline 2' } },
        { type: 'system_error', data: { ...systemError, service: 's'.repeat(128), code: 'E'.repeat(128), message: 'm'.repeat(8192) } },
      ],
      checkWholeEvent,
      'trading-engine',
    );
    expect(published.map((e) => e.subject)).toEqual(['Konto Müller €', 'trading-engine', 'trading-engine']);
  });
});
