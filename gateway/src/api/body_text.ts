import type { IncomingMessage } from 'node:http';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError, bodyTooLarge } from '../errors';
import { declaresBodyOver } from '../http/body_limit';

// fatal: bytes that are not UTF-8 are refused, not turned into U+FFFD and stored.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request body as text, for REST and /trpc alike: at most `maxBytes` (HTTP_MAX_BODY_BYTES, else
 * 413 BODY_TOO_LARGE) and valid UTF-8 (else 400 MALFORMED_BODY). A UTF-8 byte order mark is skipped.
 */
export async function readBodyText(req: IncomingMessage, maxBytes: number): Promise<string> {
  if (declaresBodyOver(req, maxBytes)) throw bodyTooLarge(maxBytes);
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // Stop reading without destroying the socket, so the 413 still reaches the client; the answer
      // closes the connection (sendError), and the rest of the body is never read.
      stop();
      req.pause();
      reject(bodyTooLarge(maxBytes));
    };
    const onEnd = () => (stop(), resolve(Buffer.concat(chunks)));
    const onError = (err: Error) => (stop(), reject(err));
    // A client gone before the end of its body: nobody to answer (the promise must settle all the same).
    const onClose = () => (stop(), reject(new Error('the client closed the connection before the end of its body')));
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ApiError(GrpcStatus.INVALID_ARGUMENT, 'MALFORMED_BODY', 'the request body is not UTF-8 text; send JSON encoded as UTF-8');
  }
}
