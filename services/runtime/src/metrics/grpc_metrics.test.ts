import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../grpc/client';
import { AppError } from '../errors/app_error';
import { toServiceError } from '../errors/grpc_status';
import { startGrpcServer, type GrpcServerHandle } from '../grpc/server';
import { metricsRegistry } from './registry';

const identity = (b: Buffer) => b;
const definition: grpc.ServiceDefinition = {
  Get: {
    path: '/test.metrics.v1.ThingService/Get',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const ThingClient = grpc.makeGenericClientConstructor(definition, 'ThingService');

function call(client: grpc.Client, text: string): Promise<unknown> {
  return new Promise((resolve) =>
    (client as unknown as { Get: (r: Buffer, cb: (e: unknown, r: unknown) => void) => void }).Get(Buffer.from(text), (err, res) =>
      resolve(err ?? res),
    ),
  );
}

/** The value of one sample line of the registry's text output, e.g. `name{a="b"} 3`. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await metricsRegistry().metrics();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('gRPC metrics', () => {
  let server: GrpcServerHandle;
  let client: grpc.Client;
  beforeAll(async () => {
    server = await startGrpcServer({
      port: 0,
      reflection: false,
      services: [
        {
          definition,
          implementation: {
            Get: (c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
              c.request.toString() === 'missing'
                ? cb(toServiceError(new AppError(grpc.status.NOT_FOUND, 'NOT_FOUND', 'no such thing')))
                : cb(null, c.request),
          },
        },
      ],
    });
    client = createClient(ThingClient, `127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    client.close();
    await server.close(100);
  });

  it('counts RPCs by method and status code and times them, on the server and the client', async () => {
    await call(client, 'a');
    await call(client, 'b');
    await call(client, 'missing');
    const rpc = { grpc_service: 'test.metrics.v1.ThingService', grpc_method: 'Get', grpc_type: 'unary' };
    expect(await sample('grpc_server_started_total', rpc)).toBe(3);
    expect(await sample('grpc_server_handled_total', { ...rpc, grpc_code: 'OK' })).toBe(2);
    expect(await sample('grpc_server_handled_total', { ...rpc, grpc_code: 'NOT_FOUND' })).toBe(1);
    expect(await sample('grpc_server_handling_seconds_count', rpc)).toBe(3);
    expect(await sample('grpc_server_handling_seconds_bucket', { ...rpc, le: '+Inf' })).toBe(3);
    expect(await sample('grpc_client_handled_total', { ...rpc, grpc_code: 'NOT_FOUND' })).toBe(1);
    expect(await sample('grpc_client_handling_seconds_count', rpc)).toBe(3);
  });
});
