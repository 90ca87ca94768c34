import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { storable } from '@marketpulse/runtime';
import type { SendRequest, SendResult, WebhookSender } from './sender';

/**
 * Where a request goes out: node's http(s) with keep-alive, connecting only to the address the
 * guard vetted (the lookup is pinned, so DNS rebinding between check and connect cannot redirect
 * it), one deadline over connect, response and body, and a capped body read.
 */
export class HttpSender implements WebhookSender {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  send(request: SendRequest): Promise<SendResult> {
    const { target, timeoutMs, maxResponseBytes } = request;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all)
        (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
          { address: target.address, family: target.family },
        ]);
      else callback(null, target.address, target.family);
    };
    const isHttps = target.url.protocol === 'https:';
    const body = Buffer.from(request.body);

    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<SendResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, durationMs: elapsed() });
      };
      let req: http.ClientRequest;
      try {
        req = (isHttps ? https : http).request(
          {
            protocol: target.url.protocol,
            hostname: target.url.hostname.replace(/^\[|\]$/g, ''),
            port: target.url.port || (isHttps ? 443 : 80),
            path: target.url.pathname + target.url.search,
            method: 'POST',
            agent: isHttps ? this.httpsAgent : this.httpAgent,
            lookup: pinned,
            headers: { ...request.headers, 'content-length': String(body.length) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let kept = 0;
            const done = () => {
              const retryAfter = res.headers['retry-after'];
              finish({
                statusCode: res.statusCode,
                responseExcerpt: excerptOf(chunks),
                retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
              });
            };
            res.on('data', (chunk: Buffer) => {
              if (kept >= maxResponseBytes) return;
              const take = chunk.subarray(0, maxResponseBytes - kept);
              chunks.push(take);
              kept += take.length;
              // Enough read: drop the rest with the socket instead of downloading whatever the receiver sends.
              if (kept >= maxResponseBytes) {
                done();
                res.destroy();
              }
            });
            res.on('end', done);
            res.on('error', done);
            res.on('close', done);
          },
        );
      } catch (err) {
        // Node refuses the request before sending (a header value it cannot encode, e.g. outside
        // Latin-1, stored before endpoints were checked): a failed attempt, not a stuck delivery.
        settled = true;
        resolve({ durationMs: elapsed(), responseExcerpt: '', error: describeError(err as NodeJS.ErrnoException) });
        return;
      }
      const timer = setTimeout(() => {
        finish({ responseExcerpt: '', error: `no complete response within ${timeoutMs} ms`, timedOut: true });
        req.destroy();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => finish({ responseExcerpt: '', error: describeError(err) }));
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/**
 * A receiver's answer as text: undecodable bytes become U+FFFD (toString) and so does NUL
 * (storable): a receiver answering NUL made its attempt unrecordable, so the delivery was sent again
 * after every lease, for ever.
 */
function excerptOf(chunks: Buffer[]): string {
  return storable(Buffer.concat(chunks).toString('utf8'));
}

function describeError(err: NodeJS.ErrnoException): string {
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
