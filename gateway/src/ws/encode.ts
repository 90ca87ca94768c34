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

  get wire(): Buffer {
    return (this.wireBytes ??= serverFrame(this.payload, this.binary ? FIN_BINARY : FIN_TEXT));
  }

  get byteLength(): number {
    return this.payload.length;
  }
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
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = first;
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}
