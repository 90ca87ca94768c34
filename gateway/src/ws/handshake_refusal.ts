import type { Duplex } from 'node:stream';
import { invalidHandshake } from '../errors';
import { endWithError } from '../http/respond';

/**
 * Answers a handshake ws refuses before any door sees it (a method other than GET, a missing or
 * malformed Upgrade, Sec-WebSocket-Key, -Version, -Protocol or -Extensions header) in the one JSON
 * error shape, where ws alone answers a bare text line. `err.message` is ws's own, naming the header.
 */
export function refuseHandshake(err: Error, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const refusal = invalidHandshake(err.message);
  if (err.message === 'Invalid HTTP method') return endWithError(socket, refusal, 405, { Allow: 'GET' });
  const version = err.message.includes('Sec-WebSocket-Version');
  endWithError(socket, refusal, refusal.httpStatus, version ? { 'Sec-WebSocket-Version': '13, 8' } : {});
}
