import type { Duplex } from 'node:stream';
import type { Frame } from './encode';
import type { FrameSink } from './send_queue';

/**
 * Writes pre-built frames straight to the upgraded socket, for connections without
 * permessage-deflate. ws's own sender writes whole frames synchronously to the same socket when
 * nothing is compressed, so its control frames (pong, close) interleave only between our frames.
 */
export class SocketSink implements FrameSink {
  constructor(private readonly socket: Duplex) {}

  get blocked(): boolean {
    return this.socket.writableNeedDrain;
  }

  write(frames: readonly Frame[]): void {
    if (!this.socket.writable) return;
    if (frames.length === 1) {
      this.socket.write(frames[0]!.wire);
      return;
    }
    // Corked writes leave as one writev: one system call for the whole batch.
    this.socket.cork();
    for (const frame of frames) this.socket.write(frame.wire);
    this.socket.uncork();
  }

  whenUnblocked(cb: () => void): void {
    this.socket.once('drain', cb);
  }
}
