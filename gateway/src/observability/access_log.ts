import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@marketpulse/runtime';
import { clientAddress, NO_TRUSTED_PROXIES, type TrustedProxies } from '../http/client_address';

/** The WebSocket close codes of an ordinary end (normal closure, going away): sampled like a 2xx. */
const ORDINARY_CLOSES = new Set([1000, 1001]);

export interface AccessLogOptions {
  logger: Logger;
  /**
   * Share of ordinary lines written (ACCESS_LOG_SAMPLE_RATIO): HTTP answers below 400 and WebSocket
   * closes with 1000/1001. Errors, refusals and abnormal closes are always written, so sampling
   * thins the traffic an SRE does not need without hiding what went wrong.
   */
  sampleRatio: number;
  /** Replaces Math.random (tests). */
  random?: () => number;
  /** TRUSTED_PROXIES: whose Forwarded (or X-Forwarded-For) names the client; none when absent. */
  trustedProxies?: TrustedProxies;
}

/** What a WebSocket access line says about the connection; never its token or query string. */
export interface WsAccess {
  client_id: string;
  door: string;
  path: string;
  remote_address: string | undefined;
}

/**
 * One access line per HTTP request (method, path without its query, status, duration) and per
 * WebSocket connection end (door, close code and reason, duration), as `http.request` and
 * `websocket.close` events. The query string is never logged: it can carry `?token=`.
 */
export class AccessLog {
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(private readonly options: AccessLogOptions) {
    this.log = options.logger.child({ module: 'access' });
    this.random = options.random ?? Math.random;
  }

  /** Call when a request arrives; the line is written when its answer has been sent (or aborted). */
  http(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    // Taken now: a socket closed before the answer was sent may no longer say its peer.
    const address = clientAddress(req, this.options.trustedProxies ?? NO_TRUSTED_PROXIES);
    const done = () => {
      const status = res.statusCode;
      if (status < 400 && !this.sampled()) return;
      const line = {
        event: 'http.request',
        'http.request.method': req.method,
        'url.path': pathOf(req.url),
        'http.response.status_code': status,
        duration_ms: round(performance.now() - started),
        'client.address': address,
        'user_agent.original': req.headers['user-agent'],
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) this.log.error(line, 'http request');
      else if (status >= 400) this.log.warn(line, 'http request');
      else this.log.info(line, 'http request');
    };
    res.once('close', done);
  }

  /** A WebSocket connection was accepted by a door (sampled like an ordinary close). */
  wsOpen(access: WsAccess): void {
    if (!this.sampled()) return;
    this.log.info({ event: 'websocket.open', ...access }, 'websocket connected');
  }

  /** A WebSocket connection ended: its close code and reason, and how long it lasted. */
  wsClose(access: WsAccess, code: number, reason: string, openedAt: number): void {
    const ordinary = ORDINARY_CLOSES.has(code);
    if (ordinary && !this.sampled()) return;
    const line = {
      event: 'websocket.close',
      ...access,
      'websocket.close.code': code,
      'websocket.close.reason': reason,
      duration_ms: round(Date.now() - openedAt),
    };
    if (ordinary) this.log.info(line, 'websocket closed');
    else this.log.warn(line, 'websocket closed');
  }

  /** A WebSocket upgrade refused before any door (GATEWAY_ALLOWED_HOSTS): always written, as the doors' refusals are. */
  upgradeRefused(req: IncomingMessage, status: number, code: string): void {
    this.log.warn(
      {
        event: 'websocket.refused',
        'url.path': pathOf(req.url),
        'http.response.status_code': status,
        code,
        'client.address': clientAddress(req, this.options.trustedProxies ?? NO_TRUSTED_PROXIES),
        'user_agent.original': req.headers['user-agent'],
      },
      'websocket request refused',
    );
  }

  private sampled(): boolean {
    const ratio = this.options.sampleRatio;
    return ratio >= 1 || (ratio > 0 && this.random() < ratio);
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
