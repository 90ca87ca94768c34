import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '@marketpulse/proto';
import { addressesOf, fakeProviderMonitor, serveFake, startApiUnderTest, tokenFor, useApiOnFakes, type ApiUnderTest } from './api.kit';

// Every REST path of seeds 000 (webhooks) and 004 (monitoring), through the gateway's API against
// fake services (real grpc-js servers): status codes, seed shapes, auth, ownership, errors.

const alice = tokenFor('alice');
const bob = tokenFor('bob');
const operator = tokenFor('ops', ['admin']);

async function call(
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const token = options.token === undefined ? alice : options.token;
  const res = await fetch(`${rig.api.base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

const rig = useApiOnFakes();

describe('seed 000 webhook paths', () => {
  let id: string;

  it('POST /api/v1/webhooks creates a webhook: 201, the seed body echoed, the secret shown once', async () => {
    const res = await call('POST', '/api/v1/webhooks', {
      body: { url: 'https://example.com/webhook', events: ['prediction_complete'], secret: 'your-secret-key-min-16-chars' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      url: 'https://example.com/webhook',
      events: ['prediction_complete'],
      active: true,
      user_id: 'alice',
      secret: 'your-secret-key-min-16-chars',
      total_deliveries: 0,
      successful_deliveries: 0,
      failed_deliveries: 0,
    });
    expect(res.body.id).toMatch(/^wh_/);
    id = res.body.id;
  });

  it("GET /api/v1/webhooks lists the caller's webhooks without secrets", async () => {
    const res = await call('GET', '/api/v1/webhooks');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).toMatchObject({ id, url: 'https://example.com/webhook' });
    expect(res.body[0]).not.toHaveProperty('secret');
    expect((await call('GET', '/api/v1/webhooks', { token: bob })).body).toEqual([]);
  });

  it('GET /api/v1/webhooks/{id} answers the owner and 404s another user', async () => {
    expect((await call('GET', `/api/v1/webhooks/${id}`)).body).toMatchObject({ id, events: ['prediction_complete'] });
    const other = await call('GET', `/api/v1/webhooks/${id}`, { token: bob });
    expect(other.status).toBe(404);
    expect(other.body.error).toMatchObject({ code: 'NOT_FOUND' });
    expect(other.body.error.message).toContain(id);
  });

  it('PATCH /api/v1/webhooks/{id} changes only the fields sent', async () => {
    const res = await call('PATCH', `/api/v1/webhooks/${id}`, { body: { active: false } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, active: false, url: 'https://example.com/webhook', events: ['prediction_complete'] });
    expect((await call('PATCH', `/api/v1/webhooks/${id}`, { token: bob, body: { active: true } })).status).toBe(404);
    const empty = await call('PATCH', `/api/v1/webhooks/${id}`, { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.fields[0].field).toBe('(body)');
  });

  it('GET /api/v1/webhooks/{id}/deliveries lists deliveries with their attempts', async () => {
    const res = await call('GET', `/api/v1/webhooks/${id}/deliveries?limit=10`);
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ endpoint_id: id, status: 'delivered', attempt_count: 1 });
    expect(res.body[0].attempts[0]).toMatchObject({ attempt_number: 1, status_code: 200 });
  });

  it('POST /api/v1/webhooks/test?webhook_id= sends a test event', async () => {
    const res = await call('POST', `/api/v1/webhooks/test?webhook_id=${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ webhook_id: id, success: true, delivery: { endpoint_id: id, event_type: 'prediction_complete' } });
    expect((await call('POST', `/api/v1/webhooks/test?webhook_id=${id}`, { token: bob })).status).toBe(404);
  });

  it('DELETE /api/v1/webhooks/{id} answers 204, then the webhook is gone', async () => {
    expect((await call('DELETE', `/api/v1/webhooks/${id}`, { token: bob })).status).toBe(404);
    const res = await call('DELETE', `/api/v1/webhooks/${id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await call('GET', `/api/v1/webhooks/${id}`)).status).toBe(404);
  });
});

describe('seed 004 monitoring paths', () => {
  const cases: [string, string, (body: any) => void][] = [
    [
      'GET',
      '/api/providers',
      (b) => expect(b).toMatchObject({ total: 1, providers: [{ name: 'CoinGecko', status: 'online', rate_limit: { percentage: 84 } }] }),
    ],
    [
      'GET',
      '/api/providers/CoinGecko',
      (b) =>
        expect(b).toMatchObject({
          name: 'CoinGecko',
          category: 'market_data',
          response_time_ms: 123.4,
          last_fetch: '2025-11-11T00:30:00.000Z',
        }),
    ],
    [
      'GET',
      '/api/providers/CoinGecko/stats?hours=24',
      (b) => expect(b).toMatchObject({ provider: 'CoinGecko', hours: 24, total_requests: 100, success_rate: 98 }),
    ],
    [
      'GET',
      '/api/status',
      (b) =>
        expect(b).toEqual({
          total_apis: 8,
          online: 6,
          degraded: 1,
          offline: 1,
          avg_response_time_ms: 210.5,
          last_update: '2025-11-11T00:30:00.000Z',
          system_health: 'degraded',
        }),
    ],
    ['GET', '/api/status/metrics', (b) => expect(b).toMatchObject({ count: 1, metrics: [{ total_providers: 8, online_count: 6 }] })],
    [
      'GET',
      '/api/rate-limits',
      (b) => expect(b).toMatchObject({ total: 1, rate_limits: [{ provider: 'CoinGecko', percentage: 84, status: 'warning' }] }),
    ],
    ['GET', '/api/rate-limits/CoinGecko', (b) => expect(b).toMatchObject({ provider: 'CoinGecko', limit_value: 50, current_usage: 42 })],
    ['GET', '/api/logs/connection?hours=1&limit=100', (b) => expect(b).toEqual({ log_type: 'connection', logs: [], count: 0 })],
    [
      'GET',
      '/api/logs/failure?hours=1&limit=100',
      (b) => expect(b).toMatchObject({ log_type: 'failure', count: 1, logs: [{ error_type: 'timeout' }] }),
    ],
    [
      'GET',
      '/api/alerts?acknowledged=false&hours=24',
      (b) => expect(b).toMatchObject({ count: 1, alerts: [{ id: '2', user_id: 'alice', acknowledged: false }] }),
    ],
    ['GET', '/api/scheduler/status', (b) => expect(b).toMatchObject({ running: true, total_jobs: 1, jobs: [{ id: 'health_checks' }] })],
    [
      'GET',
      '/api/database/stats',
      (b) => expect(b).toMatchObject({ total_rows: 8, database_size_bytes: 8192, tables: [{ name: 'providers', row_count: 8 }] }),
    ],
    ['GET', '/api/database/health', (b) => expect(b).toMatchObject({ status: 'healthy', engine: 'postgres' })],
    [
      'GET',
      '/api/analytics/failures',
      (b) =>
        expect(b).toMatchObject({
          total_failures: 1,
          error_type_distribution: [{ error_type: 'timeout' }],
          recent_failures: [{ id: 'log-1' }],
          recent_outages: [{ provider: 'CoinGecko', ended_at: null, duration_seconds: 42 }],
        }),
    ],
    [
      'GET',
      '/api/config/stats',
      (b) => expect(b).toMatchObject({ total_providers: 8, categories: [{ category: 'market_data', count: 5 }] }),
    ],
  ];
  for (const [method, path, check] of cases) {
    it(`${method} ${path} answers 200 with the seed's fields`, async () => {
      const res = await call(method, path);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      check(res.body);
    });
  }

  it("POST /api/alerts/{id}/acknowledge acknowledges the caller's alert, 404 for another user's", async () => {
    expect((await call('POST', '/api/alerts/2/acknowledge', { token: tokenFor('bob', ['read', 'rules:write']) })).status).toBe(404);
    const res = await call('POST', '/api/alerts/2/acknowledge');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: '2', acknowledged: true, acknowledged_by: 'alice' });
    expect((await call('GET', '/api/alerts?acknowledged=true')).body.alerts.map((a: any) => a.id)).toEqual(['2']);
  });

  it('POST /api/scheduler/trigger/{job_id} needs the scheduler:trigger scope', async () => {
    const denied = await call('POST', '/api/scheduler/trigger/health_checks');
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required_scope: 'scheduler:trigger' } });
    const res = await call('POST', '/api/scheduler/trigger/health_checks', { token: operator });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ job_id: 'health_checks', status: 'triggered' });
  });

  it('an operator sees system alerts a user does not', async () => {
    expect((await call('GET', '/api/alerts', { token: operator })).body.count).toBe(2);
    expect((await call('GET', '/api/alerts', { token: bob })).body.count).toBe(0);
  });

  it('an unknown provider is a 404 in the one error shape', async () => {
    const res = await call('GET', '/api/providers/Nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'NOT_FOUND', message: 'provider Nope not found', details: { service: 'provider-monitor' } },
    });
  });
});

describe('root, auth and errors', () => {
  it('GET / lists every REST path', async () => {
    const res = await call('GET', '/', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.endpoints.rest).toEqual(
      expect.arrayContaining(['GET /api/providers', 'POST /api/v1/webhooks', 'POST /api/v1/publish']),
    );
  });

  it('no credential is 401, a forged one is 401 saying why', async () => {
    const none = await call('GET', '/api/status', { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    const forged = await call('GET', '/api/status', { token: tokenFor('alice', undefined, 'another-secret-0123456789') });
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toMatch(/signature/i);
  });

  it('a malformed body is 400 naming the field', async () => {
    const res = await call('POST', '/api/v1/webhooks', { body: { url: 'not a url', events: ['prediction_complete'] } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_ARGUMENT');
    expect(res.body.error.message).toContain("'url'");
    expect(res.body.error.details.fields).toEqual([{ field: 'url', message: expect.any(String) }]);
    const events = await call('POST', '/api/v1/webhooks', { body: { url: 'https://example.com/h', events: ['no_such_event'] } });
    expect(events.body.error.details.fields[0].field).toBe('events.0');
    const json = await call('POST', '/api/v1/webhooks', { body: '{"url": ' });
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('MALFORMED_BODY');
  });

  it('an unknown API path is a 404 in the error shape', async () => {
    const res = await call('GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('GET /metrics serves Prometheus text with the API request counters, to an operator only in production', async () => {
    await call('GET', '/api/status');
    expect((await call('GET', '/metrics', { token: null })).status).toBe(401);
    expect(await call('GET', '/metrics')).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const res = await fetch(`${rig.api.base}/metrics`, { headers: { authorization: `Bearer ${operator}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await res.text()).toMatch(/marketpulse_http_requests_total\{method="GET",route="\/api\/status",status="200"\} \d+/);
  });

  it('a service that hangs answers 504 naming it, at the deadline', async () => {
    const hung = await serveFake(providers.ProviderMonitorServiceService, { ...fakeProviderMonitor(), getStatus: () => undefined });
    const slow = await startApiUnderTest(
      { ...addressesOf(rig.fakes), PROVIDER_MONITOR_GRPC_ADDR: hung.address },
      { API_DEADLINE_MS: '300' },
    );
    try {
      // The fake never answers: a response at all is the deadline's.
      const res = await fetch(`${slow.base}/api/status`, { headers: { authorization: `Bearer ${alice}` } });
      expect(res.status).toBe(504);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'SERVICE_TIMEOUT', details: { service: 'provider-monitor' } });
    } finally {
      await slow.close();
      await hung.stop();
    }
  });

  it('a stopped service answers 503 naming it, within the deadline', async () => {
    await rig.fakes.providerMonitor.stop();
    // 503, not the deadline's 504: a refused connection is reported without waiting for the deadline.
    const res = await call('GET', '/api/status');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service: 'provider-monitor' } });
    expect(res.body.error.message).toContain('provider-monitor');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('API keys', () => {
  it('are created (shown once), used with X-API-Key, listed without the key, and revoked', async () => {
    const created = await call('POST', '/api/v1/api-keys', { body: { name: 'ci', scopes: ['read'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', scopes: ['read'], user_id: 'alice', revoked_at: null });
    const key = created.body.key as string;
    expect(key).toMatch(/^mpk_/);

    const withKey = await call('GET', '/api/v1/webhooks', { token: null, headers: { 'x-api-key': key } });
    expect(withKey.status).toBe(200);
    const write = await call('POST', '/api/v1/webhooks', {
      token: null,
      headers: { 'x-api-key': key },
      body: { url: 'https://example.com/k', events: ['*'] },
    });
    expect(write.status).toBe(403);

    const listed = await call('GET', '/api/v1/api-keys');
    expect(listed.body.map((k: any) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await call('DELETE', `/api/v1/api-keys/${created.body.id}`, { token: bob })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', '/api/v1/webhooks', { token: null, headers: { 'x-api-key': key } })).status).toBe(401);
  });

  it('cannot carry scopes their creator lacks', async () => {
    const res = await call('POST', '/api/v1/api-keys', { body: { name: 'escalate', scopes: ['admin'] } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('SCOPE_ESCALATION');
  });
});

describe('rate limiting and CORS', () => {
  let limited: ApiUnderTest;
  beforeAll(async () => {
    limited = await startApiUnderTest(addressesOf(rig.fakes), {
      API_RATE_LIMIT_PER_MINUTE: '60',
      API_RATE_LIMIT_BURST: '3',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com',
    });
  });
  afterAll(async () => limited?.close());

  it('answers 429 with Retry-After once a client exceeds its budget, other clients unaffected', async () => {
    const get = (token: string) => fetch(`${limited.base}/api/v1/webhooks`, { headers: { authorization: `Bearer ${token}` } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(alice)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await get(alice);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as any).error.code).toBe('RATE_LIMITED');
    expect((await get(bob)).status).toBe(200);
  });

  it('allows listed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${limited.base}/api/status`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example.org')).status).toBe(403);
  });

  it('names its request metrics by route, never by the path sent: made-up paths in preflights and refused requests add no series', async () => {
    const series = async () => {
      const res = await fetch(`${limited.base}/metrics`, { headers: { authorization: `Bearer ${operator}` } });
      expect(res.status).toBe(200);
      return (await res.text()).split('\n').filter((line) => line.startsWith('marketpulse_http_request'));
    };
    const eve = tokenFor('eve');
    const preflight = (path: string, origin: string) =>
      fetch(`${limited.base}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    const refused = (i: number) => fetch(`${limited.base}/api/v1/market/quotes/MADE${i}`, { headers: { authorization: `Bearer ${eve}` } });
    // Every label these requests can have, once: eve's budget is 3, so her fourth is refused.
    for (let i = 0; i < 4; i++) await refused(i);
    expect((await refused(4)).status).toBe(429);
    await preflight('/api/made-up-0', 'https://evil.example.org');
    await preflight('/api/made-up-0', 'https://app.example.com');
    await preflight('/api/v1/market/quotes/MADE0', 'https://app.example.com');
    const before = await series();
    for (let i = 1; i <= 40; i++) {
      // No credential and no budget is spent on a preflight: the series it made were anyone's for free.
      expect((await preflight(`/api/made-up-${i}-${'x'.repeat(200)}`, 'https://evil.example.org')).status).toBe(403);
      await preflight(`/api/made-up-${i}`, 'https://app.example.com');
      await preflight(`/api/v1/market/quotes/MADE${i}`, 'https://app.example.com');
      expect((await refused(i)).status).toBe(429);
    }
    const after = await series();
    expect(after.map((line) => line.replace(/ \S+$/, ''))).toEqual(before.map((line) => line.replace(/ \S+$/, '')));
    expect(after.join('\n')).not.toMatch(/made-up|MADE/);
    expect(after.join('\n')).toMatch(
      /marketpulse_http_requests_total\{method="GET",route="\/api\/v1\/market\/quotes\/\{symbol\}",status="429"\}/,
    );
    expect(after.join('\n')).toMatch(
      /marketpulse_http_requests_total\{method="OPTIONS",route="\/api\/v1\/market\/quotes\/\{symbol\}",status="204"\}/,
    );
  });
});
