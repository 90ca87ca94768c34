import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { headersTooLarge, malformedRequest, requestTimedOut, type ApiError } from '../errors';
import { endWithError } from './respond';

/**
 * Answers what Node's HTTP server refuses before any route runs (a request that took longer than
 * HTTP_REQUEST_TIMEOUT_MS, headers past its limit, bytes that are not HTTP) in the one JSON error
 * shape, instead of Node's bare status line: a client gets a code it can act on here too.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, requestTimeoutMs: number): void {
  // A response already under way (e.g. a 413 sent before the body was read) cannot be followed by
  // another one on the same connection: as Node does by default, the connection is only ended.
  const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  endWithError(socket, refusalFor(err, requestTimeoutMs));
}

function refusalFor(err: NodeJS.ErrnoException, requestTimeoutMs: number): ApiError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return requestTimedOut(requestTimeoutMs);
  if (err.code === 'HPE_HEADER_OVERFLOW') return headersTooLarge();
  return malformedRequest();
}
