// Every service and RPC of the suite, read from the .proto contracts in proto/ (protobufjs, the
// reflection library under @grpc/proto-loader), so a new service or RPC is fuzzed without a test
// change. Requests are encoded here, from plain objects, with the contract's own types.
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { REPO_ROOT } from '@marketpulse/tests';

export const PROTO_ROOT = path.join(REPO_ROOT, 'proto');

export interface RpcUnderFuzz {
  service: string;
  method: string;
  path: string;
  serverStreaming: boolean;
  request: protobuf.Type;
}

function protoFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return protoFiles(full);
    return e.name.endsWith('.proto') ? [path.relative(PROTO_ROOT, full)] : [];
  });
}

/** The contracts' root: proto/marketpulse/** plus google/protobuf (protobufjs ships those). */
export function loadContracts(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_ROOT, target));
  root.loadSync(protoFiles(path.join(PROTO_ROOT, 'marketpulse')), { keepCase: true });
  root.resolveAll();
  return root;
}

function services(ns: protobuf.NamespaceBase): protobuf.Service[] {
  return ns.nestedArray.flatMap((n) => (n instanceof protobuf.Service ? [n] : n instanceof protobuf.Namespace ? services(n) : []));
}

/** Every RPC of every service the contracts declare. */
export function rpcsOf(root: protobuf.Root): RpcUnderFuzz[] {
  return services(root).flatMap((svc) => {
    const service = svc.fullName.replace(/^\./, '');
    return svc.methodsArray.map((m) => {
      if (m.requestStream) throw new Error(`${service}/${m.name} streams requests: teach the gRPC fuzz suite to send client streams`);
      return {
        service,
        method: m.name,
        path: `/${service}/${m.name}`,
        serverStreaming: Boolean(m.responseStream),
        request: m.resolvedRequestType!,
      };
    });
  });
}

const identity = (b: Buffer) => b;

/** A client whose methods take already-encoded request bytes and return raw response bytes. */
export function rawClient(rpcs: RpcUnderFuzz[], address: string): grpc.Client {
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const r of rpcs) {
    definition[r.method] = {
      path: r.path,
      requestStream: false,
      responseStream: r.serverStreaming,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
  }
  const Client = grpc.makeGenericClientConstructor(definition, 'Fuzzed');
  return new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
}

/** The request bytes of a plain object, or undefined when the object does not fit the type (a generator bug, reported). */
export function encodeRequest(type: protobuf.Type, value: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}
