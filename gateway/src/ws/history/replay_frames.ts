import type { Principal } from '../../auth';
import { mayReceive, type Visible } from '../../visibility';
import { Frame, frameHeaderLength, writeFrameHeader } from '../encode';

/**
 * A chunk of a resuming client's frames as the read-back thread builds them (log_read_server.ts):
 * the complete WebSocket frames back to back, so the event loop writes a chunk to a socket with one
 * write, plus who may read each one, so the loop checks visibility against the client's principal
 * as it is now, once per distinct (channels, owner) of the chunk rather than once per event.
 */
export interface ReplayFrames {
  /** Complete unmasked RFC 6455 frames (Frame.wire), in order. */
  readonly wire: Uint8Array;
  /** Where each frame ends in `wire`. */
  readonly ends: Uint32Array;
  /** Per frame, its index in `visibility`. */
  readonly readers: Uint32Array;
  /** The distinct channels and owners of the chunk's events. */
  readonly visibility: readonly Visible[];
  /** The frames' payload bytes (what a connection counts as sent). */
  readonly payloadBytes: number;
}

export function frameCount(frames: ReplayFrames): number {
  return frames.ends.length;
}

/** The read-back thread's side: collects a chunk's frames, then writes them into one buffer a postMessage can transfer. */
export class ReplayFramesBuilder {
  private readonly payloads: Uint8Array[] = [];
  private readonly binary: boolean[] = [];
  private readonly readers: number[] = [];
  private readonly visibility: Visible[] = [];
  private readonly visibilityIndex = new Map<string, number>();
  private bytes = 0;
  private payloadBytes = 0;

  add(frame: Frame, visible: Visible): void {
    this.addPayload(frame.payload, frame.binary, visible);
  }

  /** A text frame's payload, written by the thread itself (market_data_transcoder.ts); kept until build copies it. */
  addText(payload: Uint8Array, visible: Visible): void {
    this.addPayload(payload, false, visible);
  }

  private addPayload(payload: Uint8Array, binary: boolean, visible: Visible): void {
    // Most events of a chunk go where the one before went: compared before a key is made.
    const last = this.readers.length > 0 ? this.readers[this.readers.length - 1]! : -1;
    this.readers.push(last >= 0 && sameVisibility(this.visibility[last]!, visible) ? last : this.indexOf(visible));
    this.payloads.push(payload);
    this.binary.push(binary);
    const n = payload.length;
    this.bytes += frameHeaderLength(n) + n;
    this.payloadBytes += n;
  }

  /** The chunk, and the buffers to transfer with it (none is shared with anything else). */
  build(): { frames: ReplayFrames; transfer: ArrayBuffer[] } {
    const wire = new Uint8Array(new ArrayBuffer(this.bytes));
    const ends = new Uint32Array(this.payloads.length);
    let at = 0;
    for (let i = 0; i < this.payloads.length; i++) {
      const payload = this.payloads[i]!;
      at = writeFrameHeader(wire, at, payload.length, this.binary[i]!);
      wire.set(payload, at);
      at += payload.length;
      ends[i] = at;
    }
    const readers = Uint32Array.from(this.readers);
    const frames = { wire, ends, readers, visibility: this.visibility, payloadBytes: this.payloadBytes };
    return { frames, transfer: [wire.buffer, ends.buffer, readers.buffer] };
  }

  private indexOf(visible: Visible): number {
    const key = `${visible.owner}\n${visible.channels.join('\n')}`;
    let at = this.visibilityIndex.get(key);
    if (at === undefined) {
      at = this.visibility.length;
      this.visibility.push({ channels: [...visible.channels], owner: visible.owner });
      this.visibilityIndex.set(key, at);
    }
    return at;
  }
}

function sameVisibility(a: Visible, b: Visible): boolean {
  return a.owner === b.owner && a.channels.length === b.channels.length && a.channels.every((c, i) => c === b.channels[i]);
}

/**
 * The frames of a chunk that `principal` may read now (mayReceive, as live delivery decides): the
 * chunk itself when it may read them all (the usual case), else a copy without the others.
 */
export function readableBy(frames: ReplayFrames, principal: Principal | undefined): ReplayFrames {
  const allowed = frames.visibility.map((v) => mayReceive(principal, v));
  if (allowed.every(Boolean)) return frames;
  const messages = framesOf(frames);
  const keep: number[] = [];
  for (let i = 0; i < frames.ends.length; i++) if (allowed[frames.readers[i]!]) keep.push(i);
  const parts = keep.map((i) => frames.wire.subarray(i === 0 ? 0 : frames.ends[i - 1]!, frames.ends[i]!));
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((part, i) => (ends[i] = at += part.length));
  return {
    wire: Buffer.concat(parts),
    ends,
    readers: Uint32Array.from(keep, (i) => frames.readers[i]!),
    visibility: frames.visibility,
    payloadBytes: keep.reduce((n, i) => n + messages[i]!.byteLength, 0),
  };
}

/** The chunk as one Frame per message: for a transport that needs each message's payload (compression, tRPC). */
export function framesOf(frames: ReplayFrames): Frame[] {
  const out: Frame[] = [];
  const wire = Buffer.from(frames.wire.buffer, frames.wire.byteOffset, frames.wire.byteLength);
  let start = 0;
  for (const end of frames.ends) {
    const length = wire[start + 1]! & 0x7f;
    const header = length < 126 ? 2 : length === 126 ? 4 : 10;
    out.push(new Frame(wire.subarray(start + header, end), (wire[start]! & 0x0f) === 0x02));
    start = end;
  }
  return out;
}

/** The chunk as one Frame whose wire is every frame of it: one write to a socket that takes frames as they are. */
export function wireOf(frames: ReplayFrames): Frame {
  return Frame.ofWire(Buffer.from(frames.wire.buffer, frames.wire.byteOffset, frames.wire.byteLength));
}
