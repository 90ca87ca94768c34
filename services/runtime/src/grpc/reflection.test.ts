import { dirname, join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { market } from '@marketpulse/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcServerHandle } from './server';

// Server reflection answers with the files as they are in proto/: real names, real dependencies
// (google/protobuf/*.proto included), so a client that knows nothing but the address can resolve
// every type. (The reflection it replaces made up one file per package and listed no dependency:
// grpcurl failed with `cannot resolve type "*.google.protobuf.Timestamp"`.)
// tests/contract/grpcurl.test.ts drives real grpcurl against every service.

type Answer = {
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
};

const loadOptions = { keepCase: true, longs: String, oneofs: true };
function reflectionClient(version: 'v1' | 'v1alpha', address: string) {
  const file = join(dirname(require.resolve('@grpc/reflection/package.json')), `build/proto/grpc/reflection/${version}/reflection.proto`);
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file, loadOptions)) as any;
  return new pkg.grpc.reflection[version].ServerReflection(address, grpc.credentials.createInsecure()) as grpc.Client & {
    ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, Answer>;
  };
}

/** One request on a fresh reflection stream. */
async function ask(version: 'v1' | 'v1alpha', address: string, request: Record<string, unknown>): Promise<Answer> {
  const client = reflectionClient(version, address);
  const call = client.ServerReflectionInfo();
  const answer = new Promise<Answer>((resolve, reject) => {
    call.on('data', resolve);
    call.on('error', reject);
  });
  call.write(request);
  try {
    return await answer;
  } finally {
    call.end();
    client.close();
  }
}

const decode = (answer: Answer): FileDescriptorProto[] =>
  (answer.file_descriptor_response?.file_descriptor_proto ?? []).map((b) => fromBinary(FileDescriptorProtoSchema, b));

describe('gRPC server reflection', () => {
  let handle: GrpcServerHandle;
  let address: string;
  beforeAll(async () => {
    handle = await startGrpcServer({
      port: 0,
      services: [{ definition: market.MarketDataServiceService, implementation: {} as grpc.UntypedServiceImplementation }],
    });
    address = `127.0.0.1:${handle.port}`;
  });
  afterAll(() => handle.close(100));

  it('lists the services this server hosts and health', async () => {
    const answer = await ask('v1', address, { list_services: '' });
    expect(answer.list_services_response?.service.map((s) => s.name).sort()).toEqual([
      'grpc.health.v1.Health',
      'marketpulse.market.v1.MarketDataService',
    ]);
  });

  it.each(['v1', 'v1alpha'] as const)('%s: a service symbol comes in its real file, with every file it imports', async (version) => {
    const files = decode(await ask(version, address, { file_containing_symbol: 'marketpulse.market.v1.MarketDataService' }));
    expect(files[0]?.name).toBe('marketpulse/market/v1/market_service.proto');
    expect(files[0]?.dependency).toEqual(['google/protobuf/timestamp.proto', 'marketpulse/market/v1/market.proto']);
    const names = files.map((f) => f.name);
    expect(names.sort()).toEqual([
      'google/protobuf/timestamp.proto',
      'marketpulse/market/v1/market.proto',
      'marketpulse/market/v1/market_service.proto',
    ]);
    // Closed over imports: every dependency of every file sent is itself sent.
    for (const file of files) for (const dep of file.dependency) expect(names).toContain(dep);
    // The language options travel too (generated clients in other languages read them).
    expect(files.find((f) => f.name.endsWith('market_service.proto'))?.options?.goPackage).toBe(
      'marketpulse.dev/clients/go/marketpulse/market/v1;marketv1',
    );
  });

  it('finds files by name, message and method symbols, and the well-known types', async () => {
    expect(decode(await ask('v1', address, { file_by_filename: 'google/protobuf/timestamp.proto' })).map((f) => f.name)).toEqual([
      'google/protobuf/timestamp.proto',
    ]);
    expect(decode(await ask('v1', address, { file_containing_symbol: 'marketpulse.market.v1.Quote' }))[0]?.name).toBe(
      'marketpulse/market/v1/market.proto',
    );
    expect(decode(await ask('v1', address, { file_containing_symbol: 'marketpulse.market.v1.MarketDataService.GetQuote' }))[0]?.name).toBe(
      'marketpulse/market/v1/market_service.proto',
    );
    // A type of another service of the suite resolves too (an Event payload names them all).
    const event = decode(await ask('v1', address, { file_containing_symbol: 'marketpulse.events.v1.Event' }));
    expect(event[0]?.name).toBe('marketpulse/events/v1/event.proto');
    expect(event.map((f) => f.name)).toContain('marketpulse/alerting/v1/alerting.proto');
    expect(decode(await ask('v1', address, { file_containing_symbol: 'grpc.health.v1.Health' }))[0]?.name).toBe(
      'grpc/health/v1/health.proto',
    );
    // The error details every service sends, so reflection clients can decode them too.
    const details = decode(await ask('v1', address, { file_containing_symbol: 'google.rpc.BadRequest' }));
    expect(details.map((f) => f.name)).toEqual(['google/rpc/error_details.proto', 'google/protobuf/duration.proto']);
    expect(decode(await ask('v1', address, { file_containing_symbol: 'google.rpc.Status' }))[0]?.name).toBe('google/rpc/status.proto');
  });

  it('answers NOT_FOUND for names it does not know', async () => {
    expect((await ask('v1', address, { file_containing_symbol: 'no.such.Type' })).error_response?.error_code).toBe(grpc.status.NOT_FOUND);
    expect((await ask('v1', address, { file_by_filename: 'no/such.proto' })).error_response?.error_code).toBe(grpc.status.NOT_FOUND);
  });
});
