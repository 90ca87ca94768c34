import { PastRetentionError, type ReadRange } from './kafka_log';
import { MergedRead, type RangeFetcher } from './merged_read';
import { PositionCodec, type PositionCodecParts } from './position_token';
import { decodeRecord, packEvents, type PackedEvents, type RecordEvent } from './record_event';

/**
 * What the gateway asks of the read-back thread. A read is opened once, then pulled one reply at a
 * time; each pull carries the read's ranges as they are now, since a resume whose held live events
 * were dropped reads further than it first asked (kafka_resume.ts).
 */
export type ReadRequest =
  | { op: 'open'; id: number; ranges: ReadRange[]; codec: PositionCodecParts | undefined }
  | { op: 'pull'; id: number; ranges: ReadRange[] }
  | { op: 'close'; id: number }
  /** Get ready to read these topics (load the modules, connect, learn their leaders) before the first read needs it. */
  | { op: 'warm'; topics: string[] };

/** `end`: every range is read to the `to` the pull carried. `pastRetention`: the partition whose start is gone. */
export type ReadReply =
  { id: number; events: PackedEvents; end: boolean } | { id: number; failed: string; pastRetention: string | undefined };

/** A worker's parentPort, or one end of a MessageChannel. */
export interface ReadPort {
  postMessage(reply: ReadReply): void;
  on(event: 'message', listener: (request: ReadRequest) => void): unknown;
}

/** Records per reply: what the gateway's thread takes in one message. */
const REPLY_RECORDS = 256;

interface ServedRead {
  readonly merged: MergedRead;
  readonly positions: PositionCodec | undefined;
}

/**
 * The read-back's heavy half, meant for a thread of its own (log_read_worker.ts): fetching records
 * from Kafka, merging partitions in time order and decoding the events. What goes to whom (channels,
 * visibility, the client's encoding) stays with the gateway's thread, which also paces the client:
 * it pulls one reply ahead of what it sends.
 */
export function serveLogReads(port: ReadPort, log: RangeFetcher): void {
  const reads = new Map<number, ServedRead>();

  const pull = async (id: number, ranges: readonly ReadRange[]): Promise<void> => {
    const read = reads.get(id);
    // A read this thread never opened (a new thread, after the last one stopped) cannot go on.
    if (!read) return port.postMessage({ id, failed: 'the read is not open on this thread', pastRetention: undefined });
    read.merged.extend(ranges);
    try {
      const records = await read.merged.next(REPLY_RECORDS);
      if (reads.get(id) !== read) return;
      const events: RecordEvent[] = [];
      for (const record of records) {
        const decoded = decodeRecord(record, read.positions);
        if (decoded) events.push(decoded);
      }
      port.postMessage({ id, events: packEvents(events), end: records.length < REPLY_RECORDS });
    } catch (err) {
      reads.delete(id);
      port.postMessage({
        id,
        failed: err instanceof Error ? err.message : String(err),
        pastRetention: err instanceof PastRetentionError ? err.key : undefined,
      });
    }
  };

  port.on('message', (request) => {
    switch (request.op) {
      case 'open': {
        const codec = request.codec && new PositionCodec(request.codec.epoch, request.codec.topics);
        reads.set(request.id, { merged: new MergedRead(log, request.ranges), positions: codec });
        return;
      }
      case 'pull':
        return void pull(request.id, request.ranges);
      case 'close':
        reads.delete(request.id);
        return;
      case 'warm':
        // Only a head start: a read that finds the client not ready gets it ready itself.
        return void log.prepare?.(request.topics).catch(() => undefined);
    }
  });
}
