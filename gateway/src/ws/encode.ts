/**
 * One outgoing message, encoded once and shared by every connection it goes to. `payload` is the
 * message's bytes (JSON text, or protobuf on the native door's binary subprotocol; what a
 * permessage-deflate connection compresses); `wire` is the complete unmasked RFC 6455 frame, built
 * on first use, that an uncompressed connection writes to its socket as-is: a broadcast costs one
 * encoding and one frame per format, whatever the fan-out.
 */
export class Frame {
  private wireBytes: Buffer | undefined;

  constructor(
    readonly payload: Buffer,
    /** A binary frame (opcode 2) rather than text. */
    readonly binary = false,
  ) {}

  /**
   * Complete frames already built (a read-back's chunk, history/replay_frames.ts), written to a
   * socket as they are. Only for a transport that takes frames as they are: `payload` is the frames.
   */
  static ofWire(frames: Buffer): Frame {
    const frame = new Frame(frames);
    frame.wireBytes = frames;
    return frame;
  }

  get wire(): Buffer {
    return (this.wireBytes ??= serverFrame(this.payload, this.binary ? FIN_BINARY : FIN_TEXT));
  }

  get byteLength(): number {
    return this.payload.length;
  }
}

/**
 * The heartbeat's protocol ping, the bytes ws.ping() writes for a server: a final, empty, unmasked
 * ping frame (opcode 9). Only for a transport that takes frames as they are.
 */
export const PROTOCOL_PING = Frame.ofWire(Buffer.from([0x89, 0x00]));

/** The protocol ping and then `frame`, as one Frame.ofWire: they leave in one write. */
export function afterProtocolPing(frame: Frame): Frame {
  return Frame.ofWire(Buffer.concat([PROTOCOL_PING.wire, frame.wire]));
}

export function jsonFrame(message: object): Frame {
  return new Frame(Buffer.from(JSON.stringify(message)));
}

export function binaryFrame(bytes: Uint8Array): Frame {
  return new Frame(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), true);
}

const FIN_TEXT = 0x81;
const FIN_BINARY = 0x82;

/** A final, unmasked text or binary frame (servers never mask, RFC 6455 §5.1). */
function serverFrame(payload: Buffer, first: typeof FIN_TEXT | typeof FIN_BINARY): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderLength(payload.length) + payload.length);
  payload.copy(frame, writeFrameHeader(frame, 0, payload.length, first === FIN_BINARY));
  return frame;
}

/** Bytes of the header of a final, unmasked frame of `n` payload bytes. */
export function frameHeaderLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes that header at `at`; returns where its payload goes. */
export function writeFrameHeader(frame: Uint8Array, at: number, n: number, binary: boolean): number {
  frame[at] = binary ? FIN_BINARY : FIN_TEXT;
  if (n < 126) {
    frame[at + 1] = n;
    return at + 2;
  }
  const view = new DataView(frame.buffer, frame.byteOffset + at);
  if (n < 65536) {
    frame[at + 1] = 126;
    view.setUint16(2, n);
    return at + 4;
  }
  frame[at + 1] = 127;
  view.setUint32(2, Math.floor(n / 2 ** 32));
  view.setUint32(6, n >>> 0);
  return at + 10;
}
