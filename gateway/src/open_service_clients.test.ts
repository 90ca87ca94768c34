import * as grpc from '@grpc/grpc-js';
import { grpcHealthProbe } from '@marketpulse/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { openServiceClients } from './open_service_clients';

// The gateway starts before the services it calls (the one-process suite starts provider-monitor
// last): its readiness probe finds them refused and grpc-js backs that address off for a second or
// more. The API's own clients must not share that backed-off connection, or the first requests after
// every service is up are answered 503 (found when services started a little slower, issue 19).

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  return port;
}

describe('openServiceClients', () => {
  it('reaches a service at once when it comes up after a readiness probe was refused at its address', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const probe = grpcHealthProbe('provider-monitor', address);
    cleanups.push(() => probe.close());
    const clients = openServiceClients(
      { marketData: address, prediction: address, alerting: address, webhooks: address, providerMonitor: address },
      5000,
    );
    cleanups.push(() => clients.close());
    expect(await probe.check()).toMatchObject({ ok: false });

    // The service comes up (with none of the provider-monitor's methods: any answer shows the call got through).
    const server = new grpc.Server();
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    cleanups.push(() => server.forceShutdown());

    const err = await new Promise<grpc.ServiceError | null>((resolve) => clients.providerMonitor.client.getStatus({}, (e) => resolve(e)));
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
