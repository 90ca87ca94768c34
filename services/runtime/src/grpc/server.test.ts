import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './client';
import { AppError } from '../errors/app_error';
import { toServiceError } from '../errors/grpc_status';
import { readGrpcError } from './errors';
import { startGrpcServer, type GrpcServerHandle } from './server';

// A trivial service with raw-bytes messages, so the test does not depend on generated code.
const identity = (b: Buffer) => b;
const echoDefinition: grpc.ServiceDefinition = {
  Echo: {
    path: '/test.v1.EchoService/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const EchoClient = grpc.makeGenericClientConstructor(echoDefinition, 'EchoService');

const echoImplementation: grpc.UntypedServiceImplementation = {
  Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const text = call.request.toString();
    if (text === 'missing')
      return callback(
        toServiceError(
          new AppError(grpc.status.NOT_FOUND, 'RULE_NOT_FOUND', 'rule r9 does not exist', { domain: 'test', metadata: { rule_id: 'r9' } }),
        ),
      );
    if (text === 'slow') return void setTimeout(() => callback(null, Buffer.from('late')), 500);
    callback(null, call.request);
  },
};

const loadOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const healthPkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, loadOptions)) as any;
const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
const reflectionPkg = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, loadOptions)) as any;

function unary<Res>(client: grpc.Client, method: string, request: unknown): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method](
      request,
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

describe('startGrpcServer', () => {
  let handle: GrpcServerHandle | undefined;
  afterEach(async () => {
    await handle?.close(100);
    handle = undefined;
  });

  it('serves the service and the standard health service on an ephemeral port', async () => {
    handle = await startGrpcServer({ port: 0, services: [{ definition: echoDefinition, implementation: echoImplementation }] });
    expect(handle.port).toBeGreaterThan(0);
    const address = `127.0.0.1:${handle.port}`;
    const echo = createClient(EchoClient, address);
    expect((await unary<Buffer>(echo, 'Echo', Buffer.from('hi'))).toString()).toBe('hi');

    const health = new healthPkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    expect(await unary(health, 'check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await unary(health, 'check', { service: 'test.v1.EchoService' })).toEqual({ status: 'SERVING' });

    handle.health.setAll('NOT_SERVING');
    expect(await unary(health, 'check', { service: 'test.v1.EchoService' })).toEqual({ status: 'NOT_SERVING' });
    await expect(unary(health, 'check', { service: 'no.such.Service' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    echo.close();
    health.close();
  });

  it('sends errors with a stable application code the client can read', async () => {
    handle = await startGrpcServer({
      port: 0,
      services: [{ definition: echoDefinition, implementation: echoImplementation }],
      reflection: false,
    });
    const echo = createClient(EchoClient, `127.0.0.1:${handle.port}`);
    const err = await unary(echo, 'Echo', Buffer.from('missing')).catch((e: unknown) => e);
    expect(readGrpcError(err)).toEqual({
      code: grpc.status.NOT_FOUND,
      appCode: 'RULE_NOT_FOUND',
      reason: 'RULE_NOT_FOUND',
      domain: 'test',
      message: 'rule r9 does not exist',
      violations: [],
      metadata: { rule_id: 'r9' },
      fields: { rule_id: 'r9' },
    });
    echo.close();
  });

  it('gives unary calls a default deadline', async () => {
    handle = await startGrpcServer({
      port: 0,
      services: [{ definition: echoDefinition, implementation: echoImplementation }],
      reflection: false,
    });
    const echo = createClient(EchoClient, `127.0.0.1:${handle.port}`, { deadlineMs: 100 });
    await expect(unary(echo, 'Echo', Buffer.from('slow'))).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    echo.close();
  });

  it('answers server reflection with the services it hosts and health', async () => {
    const marketDefinition: grpc.ServiceDefinition = {
      GetQuote: { ...echoDefinition.Echo, path: '/marketpulse.market.v1.MarketDataService/GetQuote' },
    };
    handle = await startGrpcServer({
      port: 0,
      services: [{ definition: marketDefinition, implementation: { GetQuote: echoImplementation.Echo } }],
    });
    const client = new reflectionPkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${handle.port}`, grpc.credentials.createInsecure());
    const call = client.ServerReflectionInfo();
    const response = new Promise<{ list_services_response: { service: { name: string }[] } }>((resolve, reject) => {
      call.on('data', resolve);
      call.on('error', reject);
    });
    call.write({ list_services: '' });
    const names = (await response).list_services_response.service.map((s) => s.name);
    call.end();
    client.close();
    expect(names.sort()).toEqual(['grpc.health.v1.Health', 'marketpulse.market.v1.MarketDataService']);
  });
});
