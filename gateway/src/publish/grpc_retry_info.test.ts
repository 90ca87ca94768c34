import * as grpc from '@grpc/grpc-js';
import { events, realtime } from '@marketpulse/proto';
import { decodeStatus, STATUS_DETAILS_KEY } from '@marketpulse/runtime';
import { describe, expect, it } from 'vitest';
import { inProcessGateways } from '../testing/in_process_gateway.testkit';

// A refusal that a later call may get past carries google.rpc.RetryInfo on the publish gRPC API,
// as `Retry-After` does on REST: what gRPC clients and their retry policies read.

const { gateway } = inProcessGateways({
  name: 'grpc-retry-info',
  api: true,
  env: { API_RATE_LIMIT_PER_MINUTE: '1', API_RATE_LIMIT_BURST: '1' },
});

function publishWithKey(client: realtime.PublishServiceClient, key: string): Promise<grpc.ServiceError | undefined> {
  const md = new grpc.Metadata();
  md.set('x-api-key', key);
  const event = events.Event.fromPartial({
    type: 'system_log',
    payload: { $case: 'system_log', system_log: { level: 'INFO', message: 'x' } },
  });
  return new Promise((resolve) => client.publish({ event }, md, { deadline: Date.now() + 10_000 }, (err) => resolve(err ?? undefined)));
}

describe('publish gRPC API: RetryInfo', () => {
  it('answers RATE_LIMITED with a RetryInfo of the seconds to wait, and a final refusal with none', async () => {
    const gw = await gateway();
    const client = new realtime.PublishServiceClient(`127.0.0.1:${gw.publishPort}`, grpc.credentials.createInsecure());
    try {
      // Made-up keys, each looked up in the database, are what the per-address limit is for.
      const unknown = await publishWithKey(client, `mpk_${'a'.repeat(32)}`);
      expect(unknown?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(decodeStatus(unknown!.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer).retryDelaySeconds).toBeUndefined();
      const limited = await publishWithKey(client, `mpk_${'b'.repeat(32)}`);
      expect(limited?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      const status = decodeStatus(limited!.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer);
      expect(status.errorInfo?.reason).toBe('RATE_LIMITED');
      expect(status.retryDelaySeconds).toBeGreaterThanOrEqual(1);
      expect(status.retryDelaySeconds).toBe(Number(status.errorInfo?.metadata.retry_after_seconds));
    } finally {
      client.close();
    }
  });
});
