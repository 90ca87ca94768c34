import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../auth';
import { binaryFrame, jsonFrame } from '../encode';
import { framesOf, frameCount, readableBy, ReplayFramesBuilder, wireOf } from './replay_frames';

const alice: Principal = { ...ANONYMOUS, userId: 'alice', method: 'jwt', channels: ['market-data:*'], scopes: ['read'] };

/** One replayed event: whose it is, where it went, and a payload of some size (frames of 2-, 4- and 10-byte headers). */
const event = fc.record({
  owner: fc.constantFrom('', 'alice', 'bob'),
  channel: fc.constantFrom('market-data:AAPL', 'alerts', 'portfolio'),
  size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 60_000, max: 70_000 })),
  binary: fc.boolean(),
});

describe('replay frames (a read-back chunk, built in the thread, written by the event loop)', () => {
  it('reach a client in order, exactly once each, and never one of an event its principal may not read', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (list) => {
        const builder = new ReplayFramesBuilder();
        const payloads = list.map((e, i) => `${i}:${'x'.repeat(e.size)}`);
        list.forEach((e, i) => {
          const frame = e.binary ? binaryFrame(Buffer.from(payloads[i]!)) : jsonFrame({ n: payloads[i] });
          builder.add(frame, { owner: e.owner, channels: [e.channel, 'events'] });
        });
        // postMessage copies (and here transfers) what the thread built.
        const { frames } = builder.build();
        const chunk = structuredClone(frames);
        const mayRead = list.map((e) => e.channel === 'market-data:AAPL' && (e.owner === '' || e.owner === 'alice'));
        const readable = readableBy(chunk, alice);
        const got = framesOf(readable).map((f) =>
          f.binary ? f.payload.toString() : (JSON.parse(f.payload.toString()) as { n: string }).n,
        );
        expect(got).toEqual(payloads.filter((_, i) => mayRead[i]));
        expect(frameCount(readable)).toBe(got.length);
        // Written as one: the same bytes as the kept frames' own wires back to back.
        const kept = list
          .map((e, i) => (e.binary ? binaryFrame(Buffer.from(payloads[i]!)) : jsonFrame({ n: payloads[i] })))
          .filter((_, i) => mayRead[i]);
        expect(wireOf(readable).wire.equals(Buffer.concat(kept.map((f) => f.wire)))).toBe(true);
        expect(readable.payloadBytes).toBe(kept.reduce((n, f) => n + f.byteLength, 0));
        // Nobody reads anything without a principal.
        expect(frameCount(readableBy(chunk, undefined))).toBe(0);
      }),
      { seed: 15, numRuns: 200 },
    );
  });
});
