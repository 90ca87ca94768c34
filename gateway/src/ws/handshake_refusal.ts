import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidHandshake } from '../errors';

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
  const method = err.message === 'Invalid HTTP method';
  const refusal = invalidHandshake(err.message);
  const status = method ? 405 : refusal.httpStatus;
  const body = JSON.stringify(refusal.body());
  const extra = method ? 'Allow: GET\r\n' : err.message.includes('Sec-WebSocket-Version') ? 'Sec-WebSocket-Version: 13, 8\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${extra}` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
