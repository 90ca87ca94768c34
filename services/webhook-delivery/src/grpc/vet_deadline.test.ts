import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { webhooks } from '@marketpulse/proto';
import { createLogger, decodeStatus, MemoryBroker, MemoryBus, STATUS_DETAILS_KEY } from '@marketpulse/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { startWebhookDelivery, type WebhookDeliveryHandle } from '../service';

// A URL is vetted by resolving its host, bounded at 5 s; the gateway waits 3 s for the service.
// A resolver that does not answer must still give the caller the service's own answer
// (INVALID_URL, saying the host took too long to resolve) inside the caller's deadline, not the
// caller's timeout (DEADLINE_EXCEEDED here; the gateway's 504 SERVICE_TIMEOUT to a REST client).

const dir = mkdtempSync(join(tmpdir(), 'webhook-vet-deadline-'));
let handle: WebhookDeliveryHandle;
let client: webhooks.WebhookServiceClient;
const looked: string[] = [];

beforeAll(async () => {
  const logger = createLogger('webhook-delivery', {}, { level: 'silent' });
  const bus = new MemoryBus({ broker: new MemoryBroker({ logger }), topicPrefix: 'mp.' });
  handle = await startWebhookDelivery(loadConfig({ PGLITE_DIR: dir, GRPC_PORT: '0' }), {
    bus,
    logger,
    // A resolver that never answers, as this machine's does (and no query leaves it).
    resolveHost: (host) => {
      looked.push(host);
      return new Promise(() => undefined);
    },
  });
  client = new webhooks.WebhookServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

const endpoint = (url: string) => webhooks.Endpoint.fromPartial({ user_id: 'alice', url, events: ['alert_triggered'], active: true });

function answerOf(send: (deadline: Date, cb: (err: grpc.ServiceError | null) => void) => void, ms: number) {
  return new Promise<grpc.ServiceError | null>((resolve) => send(new Date(Date.now() + ms), (err) => resolve(err)));
}

describe('webhook-delivery: vetting a URL answers inside the caller deadline', () => {
  it('CreateEndpoint: INVALID_URL naming the host, not DEADLINE_EXCEEDED', async () => {
    const err = await answerOf(
      (deadline, cb) => client.createEndpoint({ endpoint: endpoint('https://slow.example/hook') }, new grpc.Metadata(), { deadline }, cb),
      1500,
    );
    expect(looked).toContain('slow.example');
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const status = decodeStatus(err!.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer);
    expect(status.errorInfo?.reason).toBe('INVALID_URL');
    expect(err?.details).toMatch(/resolving slow\.example took longer than \d+ ms/);
  });

  it('UpdateEndpoint: the same for a new URL', async () => {
    const created = await handle.api.createEndpoint(
      'alice',
      {
        url: 'https://93.184.215.14/hook',
        events: ['alert_triggered'],
        subjects: [],
        active: false,
        description: '',
        headers: {},
        rate_limit_per_second: 0,
      },
      '',
    );
    const err = await answerOf(
      (deadline, cb) =>
        client.updateEndpoint(
          {
            endpoint: webhooks.Endpoint.fromPartial({ id: created.id, url: 'https://slower.example/hook' }),
            update_mask: ['url'],
            user_id: 'alice',
          },
          new grpc.Metadata(),
          { deadline },
          cb,
        ),
      1500,
    );
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/resolving slower\.example took longer than \d+ ms/);
  });
});
