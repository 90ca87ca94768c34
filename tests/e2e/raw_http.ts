import { request } from 'node:http';

export type RawAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: any };

/**
 * One request by node:http, for the requests fetch will not send (a body without Content-Length or
 * with a wrong one, any method, odd headers): the JSON body parsed, undefined when empty.
 * `chunked` sends the body in 64 KiB writes without a Content-Length.
 */
export function rawRequest(
  url: URL,
  method: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<RawAnswer> {
  const { body, chunked } = options;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { ...(body !== undefined && !chunked ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    // A server that refuses a body before reading it may close the connection while it is being sent.
    req.on('error', reject);
    if (body !== undefined) {
      if (chunked) {
        const bytes = Buffer.from(body);
        for (let i = 0; i < bytes.length; i += 64 * 1024) req.write(bytes.subarray(i, i + 64 * 1024));
      } else req.write(body);
    }
    req.end();
  });
}
