import * as grpc from '@grpc/grpc-js';
import type { HealthComponent } from './component_health';

const CHECK = '/grpc.health.v1.Health/Check';
// grpc.health.v1.HealthCheckResponse.ServingStatus
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** HealthCheckRequest{service: ""} is the empty message; the answer's field 1 is a varint status. */
function decodeStatus(bytes: Buffer): number {
  return bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1] : 0;
}

export interface GrpcHealthProbe extends HealthComponent {
  close(): void;
}

/**
 * A dependency that is a gRPC service: healthy when its standard health check (grpc.health.v1,
 * the whole server) answers SERVING. A service answers NOT_SERVING while its own bus or database
 * is down, so a caller's readiness follows its callees' dependencies too. A plain channel (no
 * tracing or metrics interceptors): probes would otherwise fill the RPC dashboards and traces.
 */
export function grpcHealthProbe(name: string, address: string, timeoutMs = 1000): GrpcHealthProbe {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return {
    name,
    check: () =>
      new Promise((resolve) => {
        client.makeUnaryRequest(
          CHECK,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          { deadline: Date.now() + timeoutMs },
          (err, res) => {
            if (err) return resolve({ ok: false, detail: `${name} at ${address} unreachable: ${err.details || err.message}` });
            const status = decodeStatus(res ?? Buffer.alloc(0));
            resolve(
              status === 1
                ? { ok: true, detail: `${name} at ${address} SERVING` }
                : { ok: false, detail: `${name} at ${address} reports ${STATUS_NAMES[status] ?? status}` },
            );
          },
        );
      }),
    close: () => client.close(),
  };
}
