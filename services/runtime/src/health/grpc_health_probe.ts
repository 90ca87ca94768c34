import * as grpc from '@grpc/grpc-js';
import type { ComponentHealth, HealthComponent } from './component_health';

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
 *
 * While the channel is in TRANSIENT_FAILURE after a failed call, a round answers that failure
 * again without a call: grpc-js fails any call on such a channel at once, with a fresh error and
 * two formatted stack traces (~1 ms of event loop per unreachable service and round under load,
 * bench/fanout/README.md "Session 15 (rows 2 and 3)"). The channel keeps reconnecting on its own
 * backoff, as it does with calls, and the first round after it leaves TRANSIENT_FAILURE calls again.
 */
export function grpcHealthProbe(name: string, address: string, timeoutMs = 1000): GrpcHealthProbe {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const channel = client.getChannel();
  let unreachable: ComponentHealth | undefined;
  return {
    name,
    check: () => {
      if (unreachable && channel.getConnectivityState(false) === grpc.connectivityState.TRANSIENT_FAILURE)
        return Promise.resolve(unreachable);
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          CHECK,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          { deadline: Date.now() + timeoutMs },
          (err, res) => {
            if (err) {
              unreachable = { ok: false, detail: `${name} at ${address} unreachable: ${err.details || err.message}` };
              return resolve(unreachable);
            }
            unreachable = undefined;
            const status = decodeStatus(res ?? Buffer.alloc(0));
            resolve(
              status === 1
                ? { ok: true, detail: `${name} at ${address} SERVING` }
                : { ok: false, detail: `${name} at ${address} reports ${STATUS_NAMES[status] ?? status}` },
            );
          },
        );
      });
    },
    close: () => client.close(),
  };
}
