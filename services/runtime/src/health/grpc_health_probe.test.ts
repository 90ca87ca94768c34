import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startGrpcServer, type GrpcServerHandle } from '../grpc/server';
import { grpcHealthProbe } from './grpc_health_probe';

// A gateway whose callees are not running (bench/fanout, a gateway started before the suite) checks
// them every HEALTH_CHECK_INTERVAL_MS. A call on a channel grpc-js already holds in
// TRANSIENT_FAILURE fails at once, but only after building an error with two stack traces: ~1 ms
// of event loop per service and round under load, five services in one piece (bench/fanout/README.md
// "Session 15 (rows 2 and 3)").

afterEach(() => {
  vi.restoreAllMocks();
});

describe('grpcHealthProbe', () => {
  it('calls an unreachable service once, answers later rounds from the failed channel, and calls again once it is up', async () => {
    // A health server that has just stopped: its port refuses until one listens there again.
    const gone = await startGrpcServer({ port: 0, services: [], reflection: false });
    const { port } = gone;
    await gone.close(0);
    const address = `127.0.0.1:${port}`;
    const calls = vi.spyOn(grpc.Client.prototype, 'makeUnaryRequest');
    const probe = grpcHealthProbe('alerting', address);
    let server: GrpcServerHandle | undefined;
    try {
      const first = await probe.check();
      expect(first.ok).toBe(false);
      expect(first.detail).toMatch(new RegExp(`^alerting at ${address} unreachable: .*ECONNREFUSED`));
      for (let round = 0; round < 5; round++) expect(await probe.check()).toEqual(first);
      expect(calls).toHaveBeenCalledTimes(1);

      // The service comes back: the channel reconnects on its own backoff (about a second) and the next round asks it.
      server = await startGrpcServer({ port, services: [], reflection: false });
      let answer = await probe.check();
      for (let round = 0; round < 100 && !answer.ok; round++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answer = await probe.check();
      }
      expect(answer).toEqual({ ok: true, detail: `alerting at ${address} SERVING` });
      expect(calls.mock.calls.length).toBeGreaterThan(1);
    } finally {
      probe.close();
      await server?.close(0);
    }
  });
});
