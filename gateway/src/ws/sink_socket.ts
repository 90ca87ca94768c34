import type { Duplex } from 'node:stream';
import type { Frame } from './encode';

// Writing pre-built frames straight to the upgraded socket, for connections without
// permessage-deflate. ws's own sender writes whole frames synchronously to the same socket when
// nothing is compressed, so its control frames (pong, close) interleave only between our frames.
// Functions of the socket rather than an object, so a connection needs nothing besides its socket.

export function socketBlocked(socket: Duplex): boolean {
  return socket.writableNeedDrain;
}

export function writeToSocket(socket: Duplex, frames: Frame | readonly Frame[]): void {
  if (!socket.writable) return;
  if (!Array.isArray(frames)) {
    socket.write((frames as Frame).wire);
    return;
  }
  // Corked writes leave as one writev: one system call for the whole batch.
  socket.cork();
  for (const frame of frames as readonly Frame[]) socket.write(frame.wire);
  socket.uncork();
}

export function whenSocketDrains(socket: Duplex, cb: () => void): void {
  socket.once('drain', cb);
}
