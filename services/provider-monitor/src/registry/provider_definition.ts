import { hasControl, hasLoneSurrogate } from '@marketpulse/runtime';
import { z } from 'zod';
import type { RateLimitPolicy } from '../tracking/rate_limit';

/** How a provider's health is checked. */
export type ProbeKind = 'http' | 'market_data_feed';

export interface ProviderDefinition {
  name: string;
  category: string;
  kind: ProbeKind;
  /** http: the health-check URL; market_data_feed: the market-data address. */
  endpoint: string;
  /** The endpoint as users, logs and events see it: without user info or query (shownEndpoint). */
  shown_endpoint: string;
  method: string;
  /** HTTP statuses that count as healthy; empty = any 2xx or 3xx. */
  expect_status: number[];
  headers: Record<string, string>;
  interval_seconds: number;
  timeout_ms: number;
  degraded_latency_ms: number;
  failures_before_offline: number;
  rate_limit: (RateLimitPolicy & { limit_type: string }) | undefined;
  /** Name of the environment variable holding the provider's API key, when it needs one. */
  api_key_env: string | undefined;
}

const PERIODS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

const rateLimitSchema = z
  .object({
    limit: z.number().int().positive({ error: 'rate_limit.limit must be a positive whole number' }),
    per: z.enum(['second', 'minute', 'hour', 'day'], { error: 'rate_limit.per must be second, minute, hour or day' }).optional(),
    window_seconds: z.number().positive().optional(),
  })
  .strict();

/**
 * Text of a setting that reaches every store, event and request: JSON's escapes let NUL, other
 * control characters and lone surrogates in, and a provider named so started fine, then failed
 * every write of its checks. Refused at start-up, naming the field.
 */
const plainText = (field: string) =>
  z.string().refine((v) => !hasControl(v) && !hasLoneSurrogate(v), {
    error: `${field} must not contain control characters (NUL included) or lone surrogates`,
  });

/** One entry of MONITOR_PROVIDERS (a JSON array). */
export const providerEntrySchema = z
  .object({
    name: plainText('name').min(1, { error: 'name is required' }),
    category: plainText('category').default('http_api'),
    // z.url() accepts (and keeps) control characters around the URL.
    url: plainText('url')
      .pipe(z.url({ error: 'url must be an absolute http(s) URL' }))
      // fetch refuses such a URL and quotes it whole in its error, which every check then showed to users.
      .refine((url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url), {
        error: 'url must not carry a user name or password: put the credential in headers or api_key_env',
      }),
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
    expect_status: z.array(z.number().int()).default([]),
    headers: z.record(plainText('a header name'), plainText('a header value')).default({}),
    interval_seconds: z.number().positive().optional(),
    timeout_ms: z.number().int().positive().optional(),
    degraded_latency_ms: z.number().int().positive().optional(),
    failures_before_offline: z.number().int().positive().optional(),
    rate_limit: rateLimitSchema.optional(),
    api_key_env: plainText('api_key_env').optional(),
  })
  .strict();

export type ProviderEntry = z.output<typeof providerEntrySchema>;

export interface ProviderDefaults {
  interval_seconds: number;
  timeout_ms: number;
  degraded_latency_ms: number;
  failures_before_offline: number;
}

export function limitTypeOf(windowSeconds: number): string {
  const name = Object.entries(PERIODS).find(([, s]) => s === windowSeconds)?.[0];
  return name ? `per_${name}` : `per_${windowSeconds}_seconds`;
}

export function rateLimitPolicy(r: z.output<typeof rateLimitSchema> | undefined): ProviderDefinition['rate_limit'] {
  if (!r) return undefined;
  const window = r.window_seconds ?? PERIODS[r.per ?? 'minute'];
  return { limit: r.limit, window_seconds: window, limit_type: limitTypeOf(window) };
}

export function definitionFromEntry(e: ProviderEntry, d: ProviderDefaults): ProviderDefinition {
  return {
    name: e.name,
    category: e.category,
    kind: 'http',
    endpoint: e.url,
    shown_endpoint: shownEndpoint(e.url),
    method: e.method,
    expect_status: e.expect_status,
    headers: e.headers,
    interval_seconds: e.interval_seconds ?? d.interval_seconds,
    timeout_ms: e.timeout_ms ?? d.timeout_ms,
    degraded_latency_ms: e.degraded_latency_ms ?? d.degraded_latency_ms,
    failures_before_offline: e.failures_before_offline ?? d.failures_before_offline,
    rate_limit: rateLimitPolicy(e.rate_limit),
    api_key_env: e.api_key_env,
  };
}

/**
 * A provider URL's origin and path: its query and user info are the operator's, and an `?apikey=`
 * there reached every user (GET /api/providers, the check logs, `system_log` events). Keys belong
 * in `api_key_env` or a header.
 */
export function shownEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/** Parses MONITOR_PROVIDERS; a bad entry fails start-up with the entry and field named. */
export function parseProviders(json: string, d: ProviderDefaults): ProviderDefinition[] {
  if (!json.trim()) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    // Not V8's message: it quotes the text around the fault, and the text may hold a key.
    throw new Error('MONITOR_PROVIDERS is not valid JSON (check its quotes, commas and brackets)', { cause: err });
  }
  if (!Array.isArray(raw)) throw new Error('MONITOR_PROVIDERS must be a JSON array of provider objects');
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const parsed = providerEntrySchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`MONITOR_PROVIDERS[${i}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
    }
    if (seen.has(parsed.data.name.toLowerCase()))
      throw new Error(`MONITOR_PROVIDERS[${i}]: provider '${parsed.data.name}' is listed twice`);
    seen.add(parsed.data.name.toLowerCase());
    return definitionFromEntry(parsed.data, d);
  });
}
