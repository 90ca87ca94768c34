import type { WebSocket } from 'ws';
import type { Frame } from './encode';
import type { FrameSink } from './send_queue';

/** Bytes ws may hold (compressing or unsent) before the connection's queue takes over. */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * Sends through ws for connections that negotiated permessage-deflate: compression state is per
 * connection, so these cannot share pre-built frames, only the encoded payload.
 */
export class DeflateSink implements FrameSink {
  private waiter: (() => void) | undefined;

  constructor(private readonly ws: WebSocket) {}

  get blocked(): boolean {
    return this.ws.bufferedAmount >= HIGH_WATER_BYTES;
  }

  write(frames: readonly Frame[]): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    for (const frame of frames) this.ws.send(frame.payload, { binary: frame.binary, compress: true }, this.written);
  }

  whenUnblocked(cb: () => void): void {
    this.waiter = cb;
  }

  private readonly written = (): void => {
    if (!this.waiter || this.blocked) return;
    const cb = this.waiter;
    this.waiter = undefined;
    cb();
  };
}
