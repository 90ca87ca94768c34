import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyTooLarge, type ApiError } from '../errors';

/** HTTP_MAX_BODY_BYTES's default: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** True when the request announces (Content-Length) a body larger than `maxBytes`. */
export function declaresBodyOver(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined) return false;
  const bytes = Number(declared);
  return !Number.isFinite(bytes) || bytes > maxBytes;
}

/**
 * 413 with the API's error shape, and the connection closed: the body is never read, and closing
 * spares the server from draining it to reuse the connection.
 */
export function refuseBody(res: ServerResponse, maxBytes: number): void {
  refuseUnread(res, bodyTooLarge(maxBytes));
}

/** Answers `error` without reading the request's body, closing the connection (see refuseBody). */
export function refuseUnread(res: ServerResponse, error: ApiError): void {
  const text = JSON.stringify(error.body());
  res.shouldKeepAlive = false;
  res.writeHead(error.httpStatus, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    connection: 'close',
  });
  res.end(text);
}
