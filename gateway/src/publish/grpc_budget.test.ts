import * as grpc from '@grpc/grpc-js';
import { events, realtime } from '@marketpulse/proto';
import { decodeStatus, STATUS_DETAILS_KEY } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../auth';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// The publish gRPC API's budget is the API's (auth_http/admission.ts): each call charged to its
// verified user, shared with REST and tRPC, else to the caller's address, which behind a
// TRUSTED_PROXIES balancer is the client its forwarded metadata names. A refusal that a later call
// may get past carries google.rpc.RetryInfo, as `Retry-After` does on REST.

const SECRET = 'grpc-budget-secret-0123456789abcdef';
const { gateway } = inProcessGateways({
  name: 'grpc-budget',
  api: true,
  env: { API_RATE_LIMIT_PER_MINUTE: '1', API_RATE_LIMIT_BURST: '1', JWT_SECRET: SECRET },
});

const systemLog = () =>
  events.Event.fromPartial({ type: 'system_log', payload: { $case: 'system_log', system_log: { level: 'INFO', message: 'x' } } });

function publishWith(client: realtime.PublishServiceClient, entries: Record<string, string>): Promise<grpc.ServiceError | undefined> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return new Promise((resolve) =>
    // A deadline far past what the call needs: the first call of a fresh gateway on a loaded machine
    // took over 10 s (its database's first look-up) and ended DEADLINE_EXCEEDED, not what is tested.
    client.publish({ event: systemLog() }, md, { deadline: Date.now() + 50_000 }, (err) => resolve(err ?? undefined)),
  );
}

const reasonOf = (err: grpc.ServiceError | undefined) =>
  err && decodeStatus(err.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).errorInfo?.reason;
/** A made-up API key: looked up in the database, so charged to the caller's address first. */
const madeUpKey = (c: string) => `mpk_${c.repeat(32)}`;

async function clientOf(env: Record<string, string> = {}) {
  const gw = await gateway(env);
  const client = new realtime.PublishServiceClient(`127.0.0.1:${gw.publishPort}`, grpc.credentials.createInsecure());
  return { gw, client };
}

describe('publish gRPC API: the rate budget', { timeout: 120_000 }, () => {
  it('answers RATE_LIMITED with a RetryInfo of the seconds to wait, and a final refusal with none', async () => {
    const { client } = await clientOf();
    try {
      const unknown = await publishWith(client, { 'x-api-key': madeUpKey('a') });
      expect(unknown?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(decodeStatus(unknown!.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).retryDelaySeconds).toBeUndefined();
      const limited = await publishWith(client, { 'x-api-key': madeUpKey('b') });
      expect(limited?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const status = decodeStatus(limited!.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer);
      expect(status.errorInfo?.reason).toBe('RATE_LIMITED');
      expect(status.retryDelaySeconds).toBeGreaterThanOrEqual(1);
      expect(status.retryDelaySeconds).toBe(Number(status.errorInfo?.metadata.retry_after_seconds));
    } finally {
      client.close();
    }
  });

  it('charges a verified caller per call, from the budget its REST calls draw on too', async () => {
    const { gw, client } = await clientOf({ API_RATE_LIMIT_BURST: '2' });
    const engine = await mintToken({ secret: SECRET, subject: 'engine', ttlSeconds: 600, scopes: ['publish'] });
    const other = await mintToken({ secret: SECRET, subject: 'other-engine', ttlSeconds: 600, scopes: ['publish'] });
    try {
      const bearer = { authorization: `Bearer ${engine}` };
      expect(await publishWith(client, bearer)).toBeUndefined();
      const rest = await fetch(`http://127.0.0.1:${gw.port}/api/v1/publish`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'system_log', data: { level: 'INFO', message: 'y' } }),
      });
      expect(rest.status).toBe(202);
      const third = await publishWith(client, bearer);
      expect(third?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(reasonOf(third)).toBe('RATE_LIMITED');
      // Another user's budget is its own.
      expect(await publishWith(client, { authorization: `Bearer ${other}` })).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it("behind a trusted proxy, charges the client its forwarded metadata names, not the proxy's address", async () => {
    const { client } = await clientOf({ TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const first = (xff: string, key: string) => publishWith(client, { 'x-forwarded-for': xff, 'x-api-key': madeUpKey(key) });
      expect((await first('203.0.113.7', 'c'))?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(reasonOf(await first('203.0.113.7', 'd'))).toBe('RATE_LIMITED');
      // Another client behind the same balancer has its own budget.
      expect((await first('203.0.113.8', 'e'))?.code).toBe(grpc.status.UNAUTHENTICATED);
      // RFC 7239 Forwarded wins over X-Forwarded-For, as on REST.
      const forwarded = await publishWith(client, {
        forwarded: 'for=198.51.100.9',
        'x-forwarded-for': '203.0.113.7',
        'x-api-key': madeUpKey('f'),
      });
      expect(forwarded?.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });

  it('ignores forwarded metadata from a peer that is not a trusted proxy', async () => {
    const { client } = await clientOf();
    try {
      const send = (xff: string, key: string) => publishWith(client, { 'x-forwarded-for': xff, 'x-api-key': madeUpKey(key) });
      expect((await send('203.0.113.7', 'g'))?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(reasonOf(await send('203.0.113.8', 'h'))).toBe('RATE_LIMITED');
      expect(reasonOf(await publishWith(client, { forwarded: 'for=198.51.100.9', 'x-api-key': madeUpKey('i') }))).toBe('RATE_LIMITED');
    } finally {
      client.close();
    }
  });
});
