import type { IncomingMessage } from 'node:http';

/**
 * The content coding (gzip, br, …) a request declares for its body, or undefined for none or
 * `identity`. The gateway reads bodies as sent and never inflates them: an inflated body would no
 * longer be bounded by HTTP_MAX_BODY_BYTES, and parsing compressed bytes as JSON answers nonsense.
 */
export function declaredContentCoding(req: IncomingMessage): string | undefined {
  const coding = req.headers['content-encoding']?.trim();
  return coding === undefined || coding === '' || coding.toLowerCase() === 'identity' ? undefined : coding;
}
