import { setFlagsFromString } from 'node:v8';
import { events } from '@marketpulse/proto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Publication } from '../history';
import { streamEncoder, subscriptionId } from './stream';

/** A publication as the consumer builds it: the payload as the contracts decode it, every field present. */
function publication(type: string, payload: object, over: Partial<Publication> = {}): Publication {
  const event = events.Event.fromPartial({ payload: { $case: type, [type]: payload } } as events.Event);
  return {
    seq: 1,
    id: 'bench-publisher/r0-s0-12-0',
    channels: ['portfolio', 'events'],
    type,
    source: 'bench',
    subject: 'BENCH0',
    owner: '',
    time: '2026-12-05T19:23:37.618Z',
    traceId: '',
    data: (event.payload as unknown as Record<string, Record<string, unknown>>)[type]!,
    ...over,
  };
}

/** bench/fanout's event: an equity update whose `peak_equity` is unset. */
const equity = publication('equity_update', { total_equity: '4481824572449123', current_equity: '10250.50' });

function frameOf(type: string, filters: Record<string, unknown>, pub: Publication): { json: Record<string, any>; bytes: number } {
  const frame = streamEncoder(subscriptionId(type, filters), type, filters).encode(pub);
  if (!frame) throw new Error('no frame');
  return { json: JSON.parse(frame.payload.toString()) as Record<string, any>, bytes: frame.byteLength };
}

/** Seed 002's DATA example (section "DATA"), verbatim. */
const SEED_002_DATA = JSON.parse(`{
    "type": "data",
    "data": {
        "event": {
            "event_id": "evt_123",
            "event_type": "user_action",
            "user_id": "user_456",
            "timestamp": "2024-01-01T00:00:00Z",
            "payload": {}
        },
        "subscription_type": "events"
    },
    "subscription_id": "sub_789"
}`) as Record<string, unknown>;

/** A message's paths: every key of every object, the payload's inside left out (the seed's payload is opaque). */
function keyPaths(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || path === 'data.event.payload.') return [];
  return Object.entries(value).flatMap(([k, v]) => [path + k, ...keyPaths(v, `${path + k}.`)]);
}

/** Marketpulse events have no user: `source` and `subject` stand in `user_id`'s place (as before issue 19). */
const SEED_PATHS = keyPaths(SEED_002_DATA).filter((p) => p !== 'data.event.user_id');
/** What an `events` frame may carry beyond the seed's paths: our fields, each only when set. */
const OUR_EVENT_PATHS = ['data.event.source', 'data.event.subject', 'pos', 'trace_id'];

/**
 * Our additions that are empty (`""`, `[]`, `{}`) or say a value (8 characters or more) a second
 * time, by path. The seed's own paths (SEED_PATHS: the payload may be `{}`) are the seed's business.
 */
function emptyOrRepeated(value: unknown): string[] {
  const found: string[] = [];
  const seen = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    const empty = v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
    if (empty) {
      if (!SEED_PATHS.includes(path)) found.push(`${path} is empty`);
    } else if (typeof v === 'string' && v.length >= 8) {
      if (seen.has(v)) found.push(`${path} repeats ${seen.get(v)}`);
      else seen.set(v, path);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k);
    }
  };
  walk(value, '');
  return found;
}

describe("/ws/stream data frames: seed 002's DATA shape, with nothing of ours empty or repeated (issue 19)", () => {
  it("carries every field seed 002's DATA example names, whatever the filters fix, and beyond them only our set fields", () => {
    for (const filters of [{}, { subject: 'BENCH0', event_type: 'equity_update' }, { event_id: equity.id, timestamp: equity.time }]) {
      const { json } = frameOf('events', filters, equity);
      const paths = keyPaths(json);
      expect(SEED_PATHS.filter((p) => !paths.includes(p))).toEqual([]);
      expect(paths.filter((p) => !SEED_PATHS.includes(p) && !OUR_EVENT_PATHS.includes(p))).toEqual([]);
      expect(json.data.subscription_type).toBe('events');
      expect(json.data.event).toMatchObject({ event_id: equity.id, event_type: 'equity_update', timestamp: equity.time });
    }
    // An empty payload is still the seed's `payload`; an empty subject of ours is left out.
    const empty = publication('equity_update', {}, { subject: '' });
    const { json } = frameOf('events', {}, empty);
    expect(json.data.event).toEqual({
      event_id: empty.id,
      event_type: 'equity_update',
      source: 'bench',
      timestamp: empty.time,
      payload: {},
    });
    expect(emptyOrRepeated(json)).toEqual([]);
  });

  it("sends bench/fanout's event with no empty field, no repeated value and none of our fields its subscription fixes", () => {
    const filters = { subject: 'BENCH0' };
    const { json, bytes } = frameOf('events', filters, equity);
    expect(emptyOrRepeated(json)).toEqual([]);
    // The subject the subscription fixes, the channel (no data of the event), the unset payload field: left out.
    const text = JSON.stringify(json);
    for (const known of ['BENCH0', 'metadata', 'peak_equity']) expect(text).not.toContain(known);
    expect(json).toEqual({
      type: 'data',
      data: {
        event: {
          event_id: equity.id,
          event_type: 'equity_update',
          source: 'bench',
          timestamp: equity.time,
          payload: { total_equity: '4481824572449123', current_equity: '10250.50' },
        },
        subscription_type: 'events',
      },
      subscription_id: subscriptionId('events', filters),
    });
    // 307 bytes; 412 as it was sent before (every payload field, the id twice, the channel). Centrifugo sends about 108 for this data.
    expect(bytes).toBeLessThanOrEqual(310);
  });

  it("keeps a typed item's event_type, subscription_type, id and time, and leaves out its payload defaults and filtered fields", () => {
    const issue = publication(
      'data_quality_issue',
      { id: 'dq-1', kind: 'gap', symbol: 'AAPL', provider: 'simulated', severity: 'warning', detail: 'no tick for 42 s' },
      { type: 'data_quality_issue', channels: ['system', 'events'], traceId: '0af7651916cd43dd8448eb211c80319c' },
    );
    const filters = { symbol: 'AAPL', event_type: 'data_quality_issue' };
    const { json } = frameOf('system_status', filters, issue);
    expect(emptyOrRepeated(json)).toEqual([]);
    expect(json).toEqual({
      type: 'data',
      data: {
        status: {
          event_type: 'data_quality_issue',
          id: 'dq-1',
          kind: 'gap',
          provider: 'simulated',
          severity: 'warning',
          detail: 'no tick for 42 s',
        },
        subscription_type: 'system_status',
      },
      subscription_id: subscriptionId('system_status', filters),
      id: issue.id,
      timestamp: issue.time,
      trace_id: '0af7651916cd43dd8448eb211c80319c',
    });
  });

  it('keeps a filtered field that admits several values, and drops a payload field at its default (a zero volume)', () => {
    const tick = publication('market_data_update', { symbol: 'MSFT', price: 410, volume: 0, sequence: '7' }, { subject: 'MSFT' });
    const { json } = frameOf('events', { 'payload.symbol': ['AAPL', 'MSFT'], event_type: 'market_data_update' }, tick);
    expect(json.data.event).toEqual({
      event_id: tick.id,
      event_type: 'market_data_update',
      source: 'bench',
      subject: 'MSFT',
      timestamp: tick.time,
      payload: { symbol: 'MSFT', price: 410, sequence: '7' },
    });
  });
});

// Issue 19: an `events` item is built without the fields the filters fix and the empty ones, not
// built whole and emptied with `delete`: a deleted property turns the object into a dictionary,
// which JSON.stringify serializes on its slow path, once per published event.
setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- V8's own check, parseable only with the flag above
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

describe('an events item keeps its fast properties (the fast path of JSON.stringify)', () => {
  afterEach(() => void vi.restoreAllMocks());

  /** The item of the message the frame was serialized from, and the frame's text. */
  function itemOf(filters: Record<string, unknown>, pub: Publication): { item: object; text: string } {
    const encoder = streamEncoder(subscriptionId('events', filters), 'events', filters);
    const stringify = vi.spyOn(JSON, 'stringify');
    const frame = encoder.encode(pub);
    const message = stringify.mock.calls[0]![0] as { data: { event: object } };
    return { item: message.data.event, text: frame!.payload.toString() };
  }

  it('with the subject fixed by a filter', () => {
    const { item, text } = itemOf({ subject: 'BENCH0' }, equity);
    expect(text).toContain('"event":{"event_id":"bench-publisher/r0-s0-12-0","event_type":"equity_update","source":"bench","timestamp"');
    expect(hasFastProperties(item)).toBe(true);
  });

  it('with an empty source and subject, a position and a trace id', () => {
    const traced = { ...equity, source: '', subject: '', pos: '0:12', traceId: 'ab'.repeat(16) };
    const { item, text } = itemOf({}, traced);
    expect(text).toContain('"event":{"event_id":"bench-publisher/r0-s0-12-0","event_type":"equity_update","timestamp"');
    expect(text).toMatch(new RegExp(`"pos":"0:12","trace_id":"${'ab'.repeat(16)}"}$`));
    expect(hasFastProperties(item)).toBe(true);
  });
});
