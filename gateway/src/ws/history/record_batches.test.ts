import { createRequire } from 'node:module';
import { zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFetchResponse } from './fetch_response';
import { decodeRecordBatches, RecordBatchError } from './record_batches';

// kafkajs's own encoders (what its producer sends, byte for byte): the reference the decoder is checked against.
const kafkajs = createRequire(__filename);
const { RecordBatch } = kafkajs('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: object) => Promise<{ buffer: Buffer }>;
};
const Record = kafkajs('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => object;
const GZIP = 1;

interface Model {
  firstOffset: number;
  firstTimestamp: number;
  gzip: boolean;
  records: { offsetDelta: number; timestampDelta: number; value: Buffer | null; headers: Record<string, Buffer> }[];
}

async function encode(batch: Model): Promise<Buffer> {
  const lastOffsetDelta = Math.max(0, ...batch.records.map((r) => r.offsetDelta));
  const { buffer } = await RecordBatch({
    compression: batch.gzip ? GZIP : 0,
    firstOffset: String(batch.firstOffset),
    firstTimestamp: batch.firstTimestamp,
    maxTimestamp: batch.firstTimestamp,
    lastOffsetDelta,
    records: batch.records.map((r) => Record({ ...r, key: null })),
  });
  return buffer;
}

const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const recordModel = fc.record({
  timestampDelta: fc.integer({ min: 0, max: 2 ** 40 }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.dictionary(fc.string({ maxLength: 8 }), bytes, { maxKeys: 3 }),
});
/** Batches at increasing offsets, each with records at increasing offset deltas. */
const batches = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 5 }),
      firstTimestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      gzip: fc.boolean(),
      records: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), recordModel), { minLength: 1, maxLength: 6 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((list) => {
    let offset = 0;
    return list.map(({ gap, firstTimestamp, gzip, records }): Model => {
      const firstOffset = offset + gap;
      let delta = -1;
      const out = records.map(([step, r]) => ({ ...r, offsetDelta: (delta += step) }));
      offset = firstOffset + delta + 1;
      return { firstOffset, firstTimestamp, gzip, records: out };
    });
  });

const WHERE = { topic: 't', partition: 0 };
const ALL = { ...WHERE, from: 0, to: Number.MAX_SAFE_INTEGER };

/** A record set of `model`'s batches, in one buffer as a Fetch response carries them. */
async function recordSet(model: Model[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(model.map(encode)));
}

describe('decodeRecordBatches', () => {
  it('gives back every record of kafkajs-encoded batches (plain and gzip), with offsets, timestamps, values and headers, in [from, to)', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.nat(40), fc.nat(40), async (model, a, b) => {
        const [from, to] = [Math.min(a, b), Math.max(a, b)];
        const { records, next } = decodeRecordBatches(await recordSet(model), { ...WHERE, from, to });
        const expected = model.flatMap((batch) =>
          batch.records.map((r) => ({
            offset: batch.firstOffset + r.offsetDelta,
            timestamp: batch.firstTimestamp + r.timestampDelta,
            value: r.value,
            headers: r.headers,
          })),
        );
        const inRange = expected.filter((r) => r.offset >= from && r.offset < to);
        expect(records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, value: r.value, headers: { ...r.headers } }))).toEqual(
          inRange,
        );
        // Where the next fetch starts: past the last batch reaching into the range, never past `to`.
        const ends = model.map((batch) => batch.firstOffset + Math.max(0, ...batch.records.map((r) => r.offsetDelta)) + 1);
        expect(next).toBe(Math.max(from, ...ends.filter((end) => end > from).map((end) => Math.min(end, to))));
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it('stops at a batch cut short by the fetch size limit, keeping the whole batches before it', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.nat(), async (model, cut) => {
        const encoded = await Promise.all(model.map(encode));
        const whole = Buffer.concat(encoded.slice(0, -1));
        const last = encoded.at(-1)!;
        const set = Buffer.concat([whole, last.subarray(0, cut % last.length)]);
        const { records } = decodeRecordBatches(set, ALL);
        expect(records).toHaveLength(model.slice(0, -1).reduce((n, batch) => n + batch.records.length, 0));
      }),
      { seed: 15, numRuns: 100 },
    );
  });

  it("skips control batches and an aborted transaction's batches, keeps a committed one's, and reads on past them", async () => {
    const transactional = async (firstOffset: number, producerId: number, count: number, control?: 'abort' | 'commit') => {
      const { buffer } = await RecordBatch({
        firstOffset: String(firstOffset),
        lastOffsetDelta: count - 1,
        transactional: true,
        producerId: String(producerId),
        records: Array.from({ length: count }, (_, i) =>
          Record({ offsetDelta: i, key: control ? Buffer.from([0, 0, 0, control === 'abort' ? 0 : 1]) : null, value: Buffer.from([i]) }),
        ),
      });
      const batch = Buffer.from(buffer);
      if (control) batch.writeInt16BE(batch.readInt16BE(21) | 0x20, 21); // kafkajs never writes control batches
      return batch;
    };
    const set = Buffer.concat([
      await transactional(10, 7, 2), // aborted below
      await transactional(12, 8, 2), // committed below
      await transactional(14, 7, 1, 'abort'),
      await transactional(15, 8, 1, 'commit'),
      await transactional(16, 7, 1), // a new transaction of producer 7, not aborted
    ]);
    const { records, next } = decodeRecordBatches(set, ALL, [{ producerId: 7n, firstOffset: 10 }]);
    expect(records.map((r) => r.offset)).toEqual([12, 13, 16]);
    expect(next).toBe(17);
  });

  it('refuses hostile bytes with a RecordBatchError: never another error, a hang or a read out of bounds', async () => {
    const valid = await recordSet([
      {
        firstOffset: 3,
        firstTimestamp: 1000,
        gzip: false,
        records: [{ offsetDelta: 0, timestampDelta: 0, value: Buffer.from('v'), headers: { traceparent: Buffer.from('x') } }],
      },
    ]);
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      // A valid batch with bytes overwritten: lengths, counts and varints that lie.
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
        const b = Buffer.from(valid);
        for (const [at, v] of edits) b[at] = v;
        return b;
      }),
    );
    fc.assert(
      fc.property(hostile, (b) => {
        try {
          decodeRecordBatches(b, ALL);
        } catch (err) {
          expect(err).toBeInstanceOf(RecordBatchError);
          expect((err as Error).message).toMatch(/^the record batch of t\/0 at offset -?\d+ /);
        }
        try {
          decodeFetchResponse(b);
        } catch (err) {
          expect(err).toBeInstanceOf(RecordBatchError);
        }
      }),
      { seed: 15, numRuns: 2000 },
    );
  });

  it('reads a zstd batch (kafkajs cannot write one: its records are recompressed here)', async () => {
    const plain = await recordSet([
      {
        firstOffset: 5,
        firstTimestamp: 7,
        gzip: false,
        records: [{ offsetDelta: 0, timestampDelta: 1, value: Buffer.from('z'), headers: {} }],
      },
    ]);
    const header = Buffer.from(plain.subarray(0, 61));
    const compressed = zstdCompressSync(plain.subarray(61));
    header.writeInt32BE(49 + compressed.length, 8);
    header.writeInt16BE(header.readInt16BE(21) | 4, 21);
    const { records } = decodeRecordBatches(Buffer.concat([header, compressed]), ALL);
    expect(records.map((r) => [r.offset, r.timestamp, String(r.value)])).toEqual([[5, 8, 'z']]);
  });

  it('names a compression codec it cannot read', async () => {
    const set = await recordSet([
      { firstOffset: 0, firstTimestamp: 0, gzip: false, records: [{ offsetDelta: 0, timestampDelta: 0, value: null, headers: {} }] },
    ]);
    set.writeInt16BE(2, 21); // snappy
    expect(() => decodeRecordBatches(set, ALL)).toThrow(/compressed with snappy, which the read-back does not decompress/);
  });
});
