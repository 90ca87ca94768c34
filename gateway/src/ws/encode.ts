/**
 * One outgoing text message, encoded once and shared by every connection it goes to. `payload` is
 * the JSON bytes (what a permessage-deflate connection compresses); `wire` is the complete
 * unmasked RFC 6455 frame, built on first use, that an uncompressed connection writes to its
 * socket as-is: a broadcast costs one JSON.stringify and one frame, whatever the fan-out.
 */
export class Frame {
  private wireBytes: Buffer | undefined;

  constructor(readonly payload: Buffer) {}

  get wire(): Buffer {
    return (this.wireBytes ??= textFrame(this.payload));
  }

  get byteLength(): number {
    return this.payload.length;
  }
}

export function jsonFrame(message: object): Frame {
  return new Frame(Buffer.from(JSON.stringify(message)));
}

const FIN_TEXT = 0x81;

/** A final, unmasked text frame (servers never mask, RFC 6455 §5.1). */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = FIN_TEXT;
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
