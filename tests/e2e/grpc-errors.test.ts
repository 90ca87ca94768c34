import * as grpc from '@grpc/grpc-js';
import { alerting, events, market, prediction, providers, realtime, webhooks } from '@marketpulse/proto';
import { readGrpcError, type ReadGrpcError } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest, loadContracts, rawClient, rpcsOf } from '../fuzz/grpc_descriptors';
import { startGrpcServices, type GrpcServices } from '../fuzz/grpc_services.kit';

// Issue 13, each finding at a service's own gRPC boundary (a direct gRPC caller, no gateway), on
// real Kafka and PostgreSQL: every answer is a classified status with google.rpc.Status details,
// never raw database text, and the process keeps serving. On the code before issue 13 the
// non-ASCII cases killed the process (request text copied into ASCII-only metadata), and the
// others answered INTERNAL/UNAVAILABLE with PostgreSQL's own words, or stored what they should refuse.

let suite: GrpcServices;
const closers: grpc.Client[] = [];

function client<C extends grpc.Client>(Ctor: new (address: string, creds: grpc.ChannelCredentials) => C, name: string): C {
  const c = new Ctor(suite.addresses[name]!, grpc.credentials.createInsecure());
  closers.push(c);
  return c;
}

/** Calls a generated unary method; resolves with the response or the error as readGrpcError reads it. */
function call<Req, Res>(c: grpc.Client, method: string, req: Req, md = new grpc.Metadata()): Promise<{ ok: Res } | { err: ReadGrpcError }> {
  return new Promise((resolve) =>
    (c as any)[method](req, md, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: Res) =>
      resolve(err ? { err: readGrpcError(err) } : { ok: res }),
    ),
  );
}

async function refused<Req>(c: grpc.Client, method: string, req: Req, md?: grpc.Metadata): Promise<ReadGrpcError> {
  const answer = await call(c, method, req, md);
  if ('ok' in answer) throw new Error(`${method} accepted ${JSON.stringify(req)}`);
  return answer.err;
}

/** Database text that must never reach a caller. */
const DB_TEXT = /byte sequence|0x00|out of range for type|timestamp out of range|SQLSTATE|syntax|relation|ECONN/i;

beforeAll(async () => {
  suite = await startGrpcServices('grpc-errors');
}, 180_000);

afterAll(async () => {
  for (const c of closers) c.close();
  await suite?.close();
}, 60_000);

describe('issue 13 findings at the services own gRPC boundary', () => {
  it('GetPrediction{symbol:"Ä"} and RunBacktest{symbol:"Ä"} answer INVALID_ARGUMENT with details, and prediction keeps serving', async () => {
    const p = client(prediction.PredictionServiceClient, 'prediction');
    const e = await refused(p, 'getPrediction', { symbol: 'Ä', horizon_seconds: 0 });
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_FIELD', domain: 'marketpulse.prediction' });
    expect(e.violations).toEqual([{ field: 'symbol', description: expect.stringContaining('letters, digits') }]);
    const b = await refused(p, 'runBacktest', { symbol: 'Ä', model_version: 'é', horizon_seconds: 0 });
    expect(b.code).toBe(grpc.status.INVALID_ARGUMENT);
    // Still serving: a well-formed request gets its ordinary answer.
    expect(await refused(p, 'getPrediction', { symbol: 'ZZZZ', horizon_seconds: 0 })).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: 'UNKNOWN_SYMBOL',
    });
  });

  it('PublishService.Publish{type:"é"} answers INVALID_ARGUMENT and the gateway keeps serving', async () => {
    const pub = client(realtime.PublishServiceClient, 'gateway-publish');
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${suite.token}`);
    // With a payload, the refusal quotes the type back ("payload case 'position_update' must equal type 'é'"):
    // that text went into mp-error-details metadata, whose throw escaped and killed the process.
    const event = events.Event.fromPartial({
      id: 'grpc-errors-1',
      type: 'é',
      payload: { $case: 'position_update', position_update: { symbol: 'BTC/USDT' } },
    });
    const e = await refused(pub, 'publish', { event }, md);
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT', domain: 'marketpulse.gateway' });
    expect(e.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: expect.stringMatching(/type|payload/), description: expect.stringContaining('é') }),
      ]),
    );
    const again = await refused(
      pub,
      'publishBatch',
      { events: [event, events.Event.fromPartial({ id: 'grpc-errors-2', type: 'position_update', subject: '\u0000' })] },
      md,
    );
    expect(again.code).toBe(grpc.status.INVALID_ARGUMENT);
    // Still serving: an event without a type is refused as before.
    expect((await refused(pub, 'publish', { event: events.Event.fromPartial({ id: 'grpc-errors-3' }) }, md)).code).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
  });

  it('int32 extremes that overflowed downstream arithmetic (alert hours, webhook stats hours) are INVALID_ARGUMENT naming the field', async () => {
    const a = client(alerting.AlertingServiceClient, 'alerting');
    const hours = await refused(a, 'listAlerts', { hours: 2 ** 31 - 1, severity: '', symbol: '', user_id: 'u1', limit: 0 });
    expect(hours).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      violations: [{ field: 'hours', description: expect.stringContaining('87600') }],
    });
    expect(hours.message).not.toMatch(DB_TEXT);
    const w = client(webhooks.WebhookServiceClient, 'webhook-delivery');
    const stats = await refused(w, 'getEndpointStats', { endpoint_id: 'wh_1', user_id: 'u1', hours: 2 ** 31 - 1 });
    expect(stats).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      violations: [{ field: 'hours', description: expect.stringContaining('87600') }],
    });
  });

  it('NUL in a rule name, a webhook description or a webhook id is INVALID_ARGUMENT naming the field, and nothing is stored', async () => {
    const a = client(alerting.AlertingServiceClient, 'alerting');
    const rule = alerting.Rule.fromPartial({
      user_id: 'nul-user',
      name: 'rule\u0000name',
      symbol: 'AAPL',
      condition: { kind: { $case: 'price_above', price_above: { price: 1 } } },
    });
    const e = await refused(a, 'createRule', { rule });
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, violations: [expect.objectContaining({ field: 'rule.name' })] });
    expect(e.message).not.toMatch(DB_TEXT);
    const listed = await call(a, 'listRules', { user_id: 'nul-user', symbol: '', include_system: false });
    expect(listed).toEqual({ ok: { rules: [] } });

    const w = client(webhooks.WebhookServiceClient, 'webhook-delivery');
    const endpoint = webhooks.Endpoint.fromPartial({ user_id: 'nul-user', url: 'http://127.0.0.1:9/hook', description: 'a\u0000b' });
    const d = await refused(w, 'createEndpoint', { endpoint });
    expect(d).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      violations: [expect.objectContaining({ field: 'endpoint.description' })],
    });
    const id = await refused(w, 'getEndpoint', { id: 'wh_\u0000', user_id: 'nul-user' });
    expect(id).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, violations: [expect.objectContaining({ field: 'id' })] });
    expect(await call(w, 'listEndpoints', { user_id: 'nul-user' })).toEqual({ ok: { endpoints: [] } });
  });

  it('no service answers with raw database text (market-data, alerting and provider-monitor did)', async () => {
    const m = client(market.MarketDataServiceClient, 'market-data');
    const candles = await refused(m, 'getCandles', { symbol: 'A\u0000', interval: '1m', limit: 0 });
    expect(candles.code).toBe(grpc.status.INVALID_ARGUMENT);
    const a = client(alerting.AlertingServiceClient, 'alerting');
    const rules = await refused(a, 'listRules', { user_id: 'u\u0000', symbol: '', include_system: false });
    expect(rules.code).toBe(grpc.status.INVALID_ARGUMENT);
    const pm = client(providers.ProviderMonitorServiceClient, 'provider-monitor');
    const logs = await refused(pm, 'listLogs', { log_type: 'failure', hours: 1, limit: 1, provider: 'x\u0000' });
    expect(logs.code).toBe(grpc.status.INVALID_ARGUMENT);
    for (const e of [candles, rules, logs]) {
      expect(e.message).not.toMatch(DB_TEXT);
      expect(e.violations[0]!.description).toMatch(/NUL|control/);
    }
  });

  it('a Timestamp no JavaScript date can hold is INVALID_ARGUMENT, not INTERNAL "Error deserializing request"', async () => {
    const rpcs = rpcsOf(loadContracts()).filter((r) => r.service === 'marketpulse.market.v1.MarketDataService');
    const getCandles = rpcs.find((r) => r.method === 'GetCandles')!;
    const raw = rawClient(rpcs, suite.addresses['market-data']!);
    closers.push(raw);
    const bytes = encodeRequest(getCandles.request, {
      symbol: 'AAPL',
      interval: '1m',
      start_time: { seconds: '9223372036854775807', nanos: 0 },
    });
    const e = await new Promise<ReadGrpcError>((resolve) =>
      (raw as any).GetCandles(bytes, new grpc.Metadata(), { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null) =>
        resolve(readGrpcError(err)),
      ),
    );
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT', domain: 'marketpulse' });
    expect(e.message).toContain('could not be decoded');
  });

  it('refuses a webhook endpoint whose custom header value is outside Latin-1 or has a control character', async () => {
    const w = client(webhooks.WebhookServiceClient, 'webhook-delivery');
    for (const value of ['Ä日本', 'a\u0007b', 'a\u0085b']) {
      const endpoint = webhooks.Endpoint.fromPartial({ user_id: 'hdr-user', url: 'http://127.0.0.1:9/hook', headers: { 'X-Team': value } });
      const e = await refused(w, 'createEndpoint', { endpoint });
      expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT', domain: 'marketpulse.webhooks' });
      expect(e.violations).toEqual([{ field: 'endpoint.headers.X-Team', description: expect.stringContaining('Latin-1') }]);
    }
    // Latin-1 text is what HTTP/1.1 carries: accepted.
    const ok = await call(w, 'createEndpoint', {
      endpoint: webhooks.Endpoint.fromPartial({ user_id: 'hdr-user', url: 'http://127.0.0.1:9/hook', headers: { 'X-Team': 'Müller' } }),
    });
    expect('ok' in ok).toBe(true);
    expect(await call(w, 'listEndpoints', { user_id: 'hdr-user' })).toMatchObject({
      ok: { endpoints: [expect.objectContaining({ headers: { 'X-Team': 'Müller' } })] },
    });
  });
});
