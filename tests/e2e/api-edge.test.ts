import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { market, providers, prediction, webhooks } from '@marketpulse/proto';
import { AppError, createLogger, invalidArgument, toServiceError } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawAnswer } from './raw_http';
import {
  addressesOf,
  fakeMarketData,
  fakePrediction,
  fakeProviderMonitor,
  fakeWebhookService,
  serveFake,
  startApiUnderTest,
  startFakeServices,
  tokenFor,
  type ApiUnderTest,
  type FakeService,
  type FakeServices,
} from './api.kit';

// Issue 13, the gateway's HTTP edge: body limits on every route (tRPC too), a bounded tRPC batch,
// 405 with Allow, percent-decoded path parameters, 400 (never 500) for out-of-range or control
// characters, the contracts' bounds in /openapi.json, and one error JSON for REST and tRPC that
// carries a service's google.rpc.Status reason and field violations.

let fakes: FakeServices;
let api: ApiUnderTest;
let special: FakeService[] = [];
const logLines: Record<string, unknown>[] = [];
let statusCalls = 0;
const alice = tokenFor('alice');
const modeller = tokenFor('alice', ['read', 'models:write']);

/** One request by node:http (fetch cannot send a body without Content-Length or with a wrong one). */
function send(
  method: string,
  path: string,
  options: { token?: string | null; body?: string | Buffer; headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<RawAnswer> {
  const token = options.token === undefined ? alice : options.token;
  return rawRequest(new URL(path, api.base), method, {
    body: options.body,
    chunked: options.chunked,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
  });
}

const json = (value: unknown) => JSON.stringify(value);
const big = (bytes: number) => json({ url: 'https://example.com/hook', events: ['prediction_complete'], description: 'x'.repeat(bytes) });

beforeAll(async () => {
  fakes = await startFakeServices();
  const monitor = await serveFake(providers.ProviderMonitorServiceService, {
    ...fakeProviderMonitor(),
    getStatus: (_call: unknown, cb: grpc.sendUnaryData<providers.GetStatusResponse>) => {
      statusCalls++;
      cb(null, providers.GetStatusResponse.fromPartial({ total_apis: 1, system_health: 'healthy' }));
    },
  } as unknown as grpc.UntypedServiceImplementation);
  // A webhook service answering with the error model: reason, domain and field violations in
  // google.rpc.Status; and a service failure with the id of its own log line.
  const hooks = await serveFake(webhooks.WebhookServiceService, {
    ...fakeWebhookService(),
    createEndpoint: (_call: unknown, cb: (err: grpc.ServiceError) => void) =>
      cb(
        toServiceError(
          invalidArgument(
            'WEBHOOK_URL_REFUSED',
            'the endpoint url resolves to a private address',
            [{ field: 'endpoint.url', description: 'must be a public address' }],
            { domain: 'webhooks' },
          ),
        ),
      ),
    listEndpoints: (_call: unknown, cb: (err: grpc.ServiceError) => void) =>
      cb(
        toServiceError(
          new AppError(grpc.status.INTERNAL, 'INTERNAL', 'the webhook service failed; logged with error id svc-err-42', {
            metadata: { error_id: 'svc-err-42' },
          }),
        ),
      ),
    getEndpoint: (_call: unknown, cb: (err: grpc.ServiceError) => void) =>
      cb(
        Object.assign(new Error('relation "endpoints" does not exist'), {
          code: grpc.status.INTERNAL,
          details: 'relation "endpoints" does not exist at 10.0.0.7:5432',
          metadata: new grpc.Metadata(),
        }),
      ),
  } as unknown as grpc.UntypedServiceImplementation);
  // A market-data service that answers GetQuote without a quote: the gateway's own unexpected failure.
  const broken = await serveFake(market.MarketDataServiceService, {
    ...fakeMarketData(),
    getQuote: (
      call: grpc.ServerUnaryCall<market.GetQuoteRequest, market.GetQuoteResponse>,
      cb: grpc.sendUnaryData<market.GetQuoteResponse>,
    ) =>
      cb(
        null,
        call.request.symbol === 'NOQUOTE'
          ? {}
          : { quote: market.Quote.fromPartial({ symbol: call.request.symbol, price: 1, timestamp: '2025-11-11T00:30:00.000Z' }) },
      ),
  } as unknown as grpc.UntypedServiceImplementation);
  special = [monitor, hooks, broken];
  const logs = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  api = await startApiUnderTest(
    {
      ...addressesOf(fakes),
      PROVIDER_MONITOR_GRPC_ADDR: monitor.address,
      WEBHOOK_GRPC_ADDR: hooks.address,
      MARKET_DATA_GRPC_ADDR: broken.address,
    },
    { API_RATE_LIMIT_BURST: '1000', API_RATE_LIMIT_PER_MINUTE: '60000' },
    createLogger('api-edge', {}, { level: 'error', destination: logs }),
  );
});

afterAll(async () => {
  await api?.close();
  await Promise.all(special.map((s) => s.stop()));
  await fakes?.stopAll();
});

describe('body limits (HTTP_MAX_BODY_BYTES, default 1 MiB) on every route', () => {
  it('refuses a 2 MiB body on /trpc with 413 and the error JSON, before reading it', async () => {
    const res = await send('POST', '/trpc/webhooks.create', { body: big(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    // The tRPC envelope carries the code in error.data (the gateway's router answers before tRPC, in the REST shape).
    expect(res.body.error.data?.code ?? res.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('refuses a 2 MiB chunked body (no Content-Length) on /trpc with 413', async () => {
    const res = await send('POST', '/trpc/webhooks.create', { body: big(2 * 1024 * 1024), chunked: true }).catch((err: Error) => ({
      status: -1,
      headers: {},
      body: err.message,
    }));
    // tRPC stops reading at the limit; the answer is 413 (or the connection is cut while the client still sends).
    if (res.status !== -1) {
      expect(res.status).toBe(413);
      expect(res.body.error.data ?? res.body.error).toMatchObject({ code: 'BODY_TOO_LARGE' });
    }
  });

  it('refuses a 2 MiB body on REST with 413 BODY_TOO_LARGE', async () => {
    const res = await send('POST', '/api/v1/webhooks', { body: big(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('takes its limit from HTTP_MAX_BODY_BYTES', async () => {
    const small = await startApiUnderTest(addressesOf(fakes), { HTTP_MAX_BODY_BYTES: '4096' });
    try {
      const over = await fetch(`${small.base}/api/v1/alerts/rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: json({ name: 'r', symbol: 'AAPL', condition: { price_above: { price: 1 } }, description: 'd'.repeat(5000) }),
      });
      expect(over.status).toBe(413);
      const under = await fetch(`${small.base}/api/v1/alerts/rules`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: json({ name: 'r', symbol: 'AAPL', condition: { price_above: { price: 1 } }, description: 'd'.repeat(900) }),
      });
      expect(under.status).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('tRPC batches (TRPC_MAX_BATCH_SIZE, default 20)', () => {
  const batchPath = (n: number) =>
    `/trpc/${Array.from({ length: n }, () => 'monitoring.status').join(',')}?batch=1&input=${encodeURIComponent(json(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))))}`;

  it('refuses a batch of 21 calls with BATCH_TOO_LARGE and makes no backend call', async () => {
    statusCalls = 0;
    const res = await send('GET', batchPath(21));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'BATCH_TOO_LARGE', details: { max_batch_size: 20 } });
    expect(res.body.error.message).toContain('TRPC_MAX_BATCH_SIZE');
    expect(statusCalls).toBe(0);
  });

  it('serves a batch of 20 calls', async () => {
    statusCalls = 0;
    const res = await send('GET', batchPath(20));
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(20);
    expect(statusCalls).toBe(20);
  });

  it('charges each call of a batch to the rate limit', async () => {
    const limited = await startApiUnderTest(addressesOf(fakes), { API_RATE_LIMIT_BURST: '30', API_RATE_LIMIT_PER_MINUTE: '1' });
    try {
      const first = await fetch(`${limited.base}${batchPath(20)}`, { headers: { authorization: `Bearer ${alice}` } });
      expect(first.status).toBe(200);
      const second = await fetch(`${limited.base}${batchPath(20)}`, { headers: { authorization: `Bearer ${alice}` } });
      expect(second.status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('methods and paths', () => {
  it('answers 405 with Allow for a method a REST path does not serve', async () => {
    const res = await send('PUT', '/api/v1/webhooks');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 405 with Allow: GET on the document and docs paths', async () => {
    for (const path of ['/openapi.json', '/', '/docs']) {
      const res = await send('POST', path);
      expect(res.status, path).toBe(405);
      expect(res.headers.allow, path).toBe('GET');
    }
  });

  it('percent-decodes path parameters', async () => {
    const quote = await send('GET', '/api/v1/market/quotes/%41APL');
    expect(quote.status).toBe(200);
    expect(quote.body.symbol).toBe('AAPL');
    expect((await send('GET', '/api/providers/Coin%47ecko')).status).toBe(200);
    const spaced = await send('GET', '/api/providers/Binance%20US');
    expect(spaced.status).toBe(404);
    expect(spaced.body.error.message).toContain('Binance US');
  });

  it('treats query keys that are Object.prototype names as unknown keys', async () => {
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const res = await send('GET', `/api/logs/failure?${key}=1&${key}=2`);
      expect(res.status, key).toBe(200);
    }
  });

  it('answers 400 naming the parameter for malformed percent-encoding', async () => {
    const res = await send('GET', '/api/providers/%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { fields: [{ field: 'name' }] } });
  });
});

describe('out-of-range numbers and control characters are 400 naming the field, never 500', () => {
  const fieldsOf = (res: RawAnswer) => (res.body.error.details?.fields ?? []).map((f: { field: string }) => f.field);

  it.each([
    [
      'webhook rate_limit_per_second',
      '/api/v1/webhooks',
      { url: 'https://example.com/h', events: ['prediction_complete'], rate_limit_per_second: 2 ** 31 },
      'rate_limit_per_second',
      alice,
    ],
    [
      'alert rule cooldown_seconds',
      '/api/v1/alerts/rules',
      { name: 'r', symbol: 'AAPL', condition: { price_above: { price: 1 } }, cooldown_seconds: 3_000_000_000 },
      'cooldown_seconds',
      alice,
    ],
    ['backtest horizon_seconds', '/api/v1/backtests', { symbol: 'AAPL', horizon_seconds: 2 ** 31 }, 'horizon_seconds', modeller],
    [
      'NUL in a rule name',
      '/api/v1/alerts/rules',
      { name: 'a\u0000b', symbol: 'AAPL', condition: { price_above: { price: 1 } } },
      'name',
      alice,
    ],
    ['NUL in an API key name', '/api/v1/api-keys', { name: 'ci\u0000', scopes: ['read'] }, 'name', alice],
    [
      'NUL in a webhook description',
      '/api/v1/webhooks',
      { url: 'https://example.com/h', events: ['prediction_complete'], description: 'x\u0000' },
      'description',
      alice,
    ],
    [
      'a non-Latin-1 webhook header',
      '/api/v1/webhooks',
      { url: 'https://example.com/h', events: ['prediction_complete'], headers: { 'x-team': 'Łódź' } },
      'headers.x-team',
      alice,
    ],
    ['a non-Latin model_version', '/api/v1/backtests', { symbol: 'AAPL', model_version: 'é' }, 'model_version', modeller],
    [
      'an API key expiring in year 0020',
      '/api/v1/api-keys',
      { name: 'old', scopes: ['read'], expires_at: '0020-01-01T00:00:00Z' },
      'expires_at',
      alice,
    ],
    [
      'an API key expiring past year 9999',
      '/api/v1/api-keys',
      { name: 'far', scopes: ['read'], expires_at: '9999-12-31T23:59:59-14:00' },
      'expires_at',
      alice,
    ],
  ])('%s', async (_what, path, body, field, token) => {
    const res = await send('POST', path, { body: json(body), token });
    expect(res.status, json(res.body)).toBe(400);
    expect(res.body.error.code).toBe('INVALID_ARGUMENT');
    expect(fieldsOf(res)).toContain(field);
  });

  it('refuses NUL in the webhook_id query parameter', async () => {
    const res = await send('POST', '/api/v1/webhooks/test?webhook_id=wh_1%00x');
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toContain('webhook_id');
  });

  it('keeps the key list readable after a refused expiry', async () => {
    expect((await send('GET', '/api/v1/api-keys')).status).toBe(200);
  });

  it('lists the allowed values of an enum field', async () => {
    const res = await send('POST', '/api/v1/webhooks', { body: json({ url: 'https://example.com/h', events: ['nope'] }) });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields[0].message).toContain('prediction_complete');
  });
});

describe('/openapi.json states the bounds of the contracts', () => {
  it('int32 fields stop at 2^31-1 and names refuse control characters', async () => {
    const doc = (await send('GET', '/openapi.json', { token: null })).body;
    const bodyOf = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    // The service's own bound (0–10000) is narrower than int32: the document states it.
    expect(bodyOf('/api/v1/webhooks').properties.rate_limit_per_second.maximum).toBe(10_000);
    expect(bodyOf('/api/v1/alerts/rules').properties.cooldown_seconds.maximum).toBe(2147483647);
    const backtest = bodyOf('/api/v1/backtests');
    expect(backtest.properties.horizon_seconds.maximum).toBeLessThanOrEqual(2147483647);
    expect(backtest.properties.model_version.pattern).toBeDefined();
    expect(bodyOf('/api/v1/alerts/rules').properties.name.pattern).toBeDefined();
    expect(bodyOf('/api/v1/api-keys').properties.name.pattern).toBeDefined();
    const test = doc.paths['/api/v1/webhooks/test'].post.parameters.find((p: { name: string }) => p.name === 'webhook_id');
    expect(test.schema.pattern).toBeDefined();
  });
});

describe('one error JSON for REST and tRPC', () => {
  it("carries a service's reason and field violations from google.rpc.Status", async () => {
    const body = { url: 'https://example.com/h', events: ['prediction_complete'] };
    const rest = await send('POST', '/api/v1/webhooks', { body: json(body) });
    expect(rest.status).toBe(400);
    expect(rest.body.error).toMatchObject({
      code: 'WEBHOOK_URL_REFUSED',
      message: 'the endpoint url resolves to a private address',
      details: { fields: [{ field: 'endpoint.url', message: 'must be a public address' }], service: 'webhook-delivery' },
    });
    const trpc = await send('POST', '/trpc/webhooks.create', { body: json(body) });
    expect(trpc.status).toBe(400);
    expect(trpc.body.error.message).toBe(rest.body.error.message);
    expect(trpc.body.error.data).toMatchObject({ code: 'WEBHOOK_URL_REFUSED', details: { fields: rest.body.error.details.fields } });
  });

  it("answers a service failure with INTERNAL and the service's error id, never its text", async () => {
    const res = await send('GET', '/api/v1/webhooks');
    expect(res.status).toBe(500);
    expect(res.body.error).toMatchObject({ code: 'INTERNAL', details: { error_id: 'svc-err-42' } });
    const raw = await send('GET', '/api/v1/webhooks/wh_1');
    expect(raw.status).toBe(500);
    expect(json(raw.body)).not.toMatch(/relation|10\.0\.0\.7/);
  });

  it('names no address when a service is down', async () => {
    const gone = await serveFake(prediction.PredictionServiceService, fakePrediction() as unknown as grpc.UntypedServiceImplementation);
    await gone.stop();
    const down = await startApiUnderTest({ ...addressesOf(fakes), PREDICTION_GRPC_ADDR: gone.address });
    try {
      const res = await fetch(`${down.base}/api/v1/predictions/AAPL`, { headers: { authorization: `Bearer ${alice}` } });
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text).error.code).toBe('SERVICE_UNAVAILABLE');
      expect(text).not.toContain('127.0.0.1');
    } finally {
      await down.close();
    }
  });

  it('turns an unexpected gateway failure into INTERNAL with an error id that the log line carries', async () => {
    const res = await send('GET', '/api/v1/market/quotes/NOQUOTE');
    expect(res.status).toBe(500);
    const id = res.body.error.details.error_id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.error.message).toContain(id);
    expect(json(res.body)).not.toContain('answered without');
    expect(logLines.some((l) => l.error_id === id)).toBe(true);

    const viaTrpc = await send('GET', `/trpc/market.quote?input=${encodeURIComponent(json({ symbol: 'NOQUOTE' }))}`);
    expect(viaTrpc.status).toBe(500);
    const trpcId = viaTrpc.body.error.data.details.error_id as string;
    expect(viaTrpc.body.error.data.code).toBe('INTERNAL');
    expect(logLines.some((l) => l.error_id === trpcId)).toBe(true);
  });
});
