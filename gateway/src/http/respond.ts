import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../errors';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers `error` straight on the connection and closes it, for requests refused where there is no
 * ServerResponse (Node's parser refusals, WebSocket handshakes): the one JSON error shape all the same.
 * `status` overrides the error's row (a handshake's method); `headers` are added as given.
 */
export function endWithError(socket: Duplex, error: ApiError, status = error.httpStatus, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(error.body());
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${extra}` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
