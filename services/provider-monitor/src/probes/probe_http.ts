import { INT32_MAX } from '@marketpulse/runtime';
import type { ProviderDefinition } from '../registry/provider_definition';
import { failure, type Probe, type ProbeResult } from './probe';

/** Milliseconds from an arbitrary origin, read before and after a request. */
export type LatencyClock = () => number;

/** Checks an HTTP API by requesting its health-check URL within the provider's timeout. */
export class HttpProbe implements Probe {
  constructor(
    private readonly def: ProviderDefinition,
    private readonly clock: LatencyClock = () => performance.now(),
  ) {}

  async check(): Promise<ProbeResult> {
    const started = this.clock();
    const elapsed = () => Math.round((this.clock() - started) * 10) / 10;
    const headers: Record<string, string> = { ...this.def.headers };
    const key = this.def.api_key_env ? process.env[this.def.api_key_env] : undefined;
    if (key && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = `Bearer ${key}`;
    let res: Response;
    let body: string;
    try {
      res = await fetch(this.def.endpoint, {
        method: this.def.method,
        headers,
        signal: AbortSignal.timeout(this.def.timeout_ms),
        // Followed, an upstream's redirect took the probe, with the provider's headers and keys, to
        // any address it named (127.0.0.1, 169.254.169.254): a 3xx is the upstream's answer.
        redirect: 'manual',
      });
      body = await bodyPrefix(res);
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        return failure(elapsed(), 'timeout', `no response within ${this.def.timeout_ms} ms from ${this.def.shown_endpoint}`);
      }
      // An error's own text may quote the URL, query included: only its code or name is shown.
      const cause = (e as Error & { cause?: { code?: unknown } }).cause;
      const why = typeof cause?.code === 'string' ? cause.code : e.name;
      return failure(elapsed(), 'connection_error', `cannot reach ${this.def.shown_endpoint}: ${why}`);
    }
    const latency = elapsed();
    const upstreamUsed = usedFromHeaders(res.headers);
    const healthy = this.def.expect_status.length ? this.def.expect_status.includes(res.status) : res.status >= 200 && res.status < 400;
    if (!healthy) {
      const type = res.status === 429 ? 'rate_limit' : res.status === 401 || res.status === 403 ? 'auth_error' : 'http_error';
      return failure(latency, type, `HTTP ${res.status} ${res.statusText} from ${this.def.shown_endpoint}`.trim(), {
        http_status_code: res.status,
        upstream_used: upstreamUsed,
      });
    }
    return {
      ok: true,
      latency_ms: latency,
      connection_status: 'success',
      http_status_code: res.status,
      error_type: '',
      error_message: '',
      calls: 1,
      upstream_used: upstreamUsed,
      record_count: countRecords(body),
      reported_status: undefined,
    };
  }
}

/**
 * The usage an upstream reports, as a whole number the contracts' int32 fields carry. Read as any
 * number, `X-RateLimit-Limit: 5000000000` (or `0.5`, `1e308`) reached RateLimitAlert.used and
 * LogEntry.current_usage, whose encoding then failed: the alert was lost and ListRateLimits answered
 * INTERNAL. Anything but digits is ignored; a larger usage is cut to int32's largest.
 */
function usedFromHeaders(h: Headers): number | undefined {
  const limit = h.get('x-ratelimit-limit')?.trim() ?? '';
  const remaining = h.get('x-ratelimit-remaining')?.trim() ?? '';
  if (!/^\d{1,16}$/.test(limit) || !/^\d{1,16}$/.test(remaining)) return undefined;
  return Math.min(INT32_MAX, Math.max(0, Number(limit) - Number(remaining)));
}

/** What the probe reads of an answer: enough to count a health check's records. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The answer's first MAX_BODY_BYTES; the rest is not downloaded. Read whole, an endless body held
 * up to 1.3 GB until the deadline.
 */
async function bodyPrefix(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.byteLength;
    if (bytes >= MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

/** A JSON array counts its items; anything else (a body cut at MAX_BODY_BYTES too) is one record. */
function countRecords(body: string): number {
  try {
    const parsed: unknown = JSON.parse(body);
    return Array.isArray(parsed) ? parsed.length : 1;
  } catch {
    return body.length ? 1 : 0;
  }
}
