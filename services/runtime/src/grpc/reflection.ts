import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The repository's proto/ folder, found relative to this file in both src/ and dist/. */
export const DEFAULT_PROTO_ROOT = resolve(__dirname, '../../../../proto');

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'gen' || entry === 'node_modules' ? [] : protoFiles(path);
    return entry.endsWith('.proto') ? [path] : [];
  });
}

const cache = new Map<string, protoLoader.PackageDefinition>();

/**
 * Every .proto under `root` plus grpc.health.v1, loaded once per process: the reflection service
 * answers from these descriptors, so grpcurl and similar clients can list and call our services.
 */
export function reflectionPackageDefinition(root = DEFAULT_PROTO_ROOT): protoLoader.PackageDefinition {
  let definition = cache.get(root);
  if (!definition) {
    const files = protoFiles(root).map((f) => f.slice(root.length + 1));
    definition = protoLoader.loadSync([...files, healthProtoPath], { includeDirs: [root], keepCase: true });
    cache.set(root, definition);
  }
  return definition;
}
