import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'vitest';
import { readGrpcError } from './errors';

/**
 * A TCP relay on 127.0.0.1 in front of a gRPC server, for tests of readers that stall. Pausing a
 * grpc-js client stream does not stop its transport (Node's HTTP/2 client keeps acknowledging data
 * and buffers it), so a test that wants a reader the server really cannot write to stops this
 * relay from reading the server's bytes: what a stalled process or link looks like to the server.
 */
export interface StallingLink {
  /** The port clients dial instead of the server's. */
  readonly port: number;
  /** Stops reading what the server sends (the server's writes back up after the socket buffers fill). */
  stall(): void;
  /** Reads again: everything the server wrote reaches the client, in order. */
  resume(): void;
  close(): void;
}

export async function startStallingLink(serverPort: number): Promise<StallingLink> {
  const sockets = new Set<net.Socket>();
  let upstream: net.Socket | undefined;
  const relay = net.createServer((down) => {
    const up = net.connect(serverPort, '127.0.0.1');
    upstream = up;
    sockets.add(down).add(up);
    down.pipe(up);
    // Not pipe() this way: pipe resumes its source on the next 'drain', and stall() pauses it on purpose.
    up.on('data', (chunk: Buffer) => down.write(chunk));
    const close = () => (down.destroy(), up.destroy());
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const connected = (): net.Socket => {
    if (!upstream) throw new Error('no client has connected through the link yet');
    return upstream;
  };
  return {
    port: (relay.address() as net.AddressInfo).port,
    stall: () => void connected().pause(),
    resume: () => void connected().resume(),
    close: () => {
      for (const socket of sockets) socket.destroy();
      relay.close();
    },
  };
}

/** How a server stream ended for its client: the error it ended with, or a string saying it did not end with one. */
export function endOf(stream: NodeJS.EventEmitter): Promise<unknown> {
  return new Promise((resolve) => {
    stream.on('error', resolve);
    stream.on('end', () => resolve('ended without an error'));
  });
}

export interface StalledReaderScenario {
  link: StallingLink;
  /** Messages the server is handed at once (one synchronous burst, then a turn of the event loop). */
  burst: number;
  /** Messages sent first while the client reads. */
  keepUp: number;
  /** The most messages sent after the client stalls. */
  flood: number;
  /** Hands the server its `n`th message (0-based). */
  emit(n: number): void;
  /** How many messages the client has received so far. */
  received(): number;
  /** Whether the server has stopped taking messages for the stream (its subscription ended). */
  stopped(): boolean;
  /** The stream's end, from endOf(). */
  ended: Promise<unknown>;
}

export interface StalledReaderOutcome {
  /** Messages received while the client kept up, and whether the server stopped taking messages then. */
  receivedWhileKeepingUp: number;
  stoppedWhileKeepingUp: boolean;
  /** Messages the server took in all (it stopped taking the one after). */
  taken: number;
  stoppedWhenStalled: boolean;
  /** The stream's end once the client read again ('still open' when it did not end within 20 s). */
  outcome: unknown;
}

/**
 * One run of the slow-reader story every server stream must pass: the client keeps up with
 * `keepUp` messages, then stalls while up to `flood` more come, then reads again. Bounded loops,
 * no wall-clock assertion: the caller judges the outcome.
 */
export async function runStalledReader(s: StalledReaderScenario): Promise<StalledReaderOutcome> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let n = 0;
  while (n < s.keepUp) {
    for (const end = Math.min(n + s.burst, s.keepUp); n < end; n++) s.emit(n);
    for (let i = 0; i < 500 && s.received() < n; i++) await sleep(10);
  }
  const receivedWhileKeepingUp = s.received();
  const stoppedWhileKeepingUp = s.stopped();
  s.link.stall();
  while (n < s.keepUp + s.flood && !s.stopped()) {
    for (const end = n + s.burst; n < end && !s.stopped(); n++) s.emit(n);
    await new Promise((r) => setImmediate(r));
  }
  const taken = n;
  const stoppedWhenStalled = s.stopped();
  s.link.resume();
  const outcome = await Promise.race([s.ended, sleep(20_000).then(() => 'still open')]);
  return { receivedWhileKeepingUp, stoppedWhileKeepingUp, taken, stoppedWhenStalled, outcome };
}

/** What the transport may hold besides the server's buffer: the client's 64 KiB HTTP/2 window (sent, not yet acknowledged), with room to spare. */
const TRANSPORT_BYTES = 2 * 65_536;

export interface SlowConsumerVerdict {
  /** The server's GRPC_STREAM_BUFFER_MESSAGES in the test, and the run's keepUp. */
  buffer: number;
  keepUp: number;
  /** Bytes of the server's `n`th message on the wire (its encoding plus the 5-byte gRPC frame header). */
  frameBytes(n: number): number;
  /** The ids the client received, in order (the `n`th message's id is String(n)). */
  received: readonly string[];
  /** The method the error tells the client to catch up with. */
  catchUpMethod: RegExp;
}

/**
 * The outcome every server stream must give runStalledReader: never cut while the client keeps up;
 * cut once it stalls, after at most its buffer plus what the transport holds; then every message
 * the server took reaches the client in order, without a hole, followed by RESOURCE_EXHAUSTED
 * SLOW_CONSUMER naming the buffer and the method to catch up with.
 */
export function expectSlowConsumerEnd(run: StalledReaderOutcome, v: SlowConsumerVerdict): void {
  expect(run).toMatchObject({ receivedWhileKeepingUp: v.keepUp, stoppedWhileKeepingUp: false, stoppedWhenStalled: true });
  const { outcome, taken } = run;
  expect(taken - v.keepUp).toBeLessThanOrEqual(v.buffer + Math.ceil(TRANSPORT_BYTES / v.frameBytes(taken)));
  expect(typeof outcome === 'string' ? outcome : 'ended with an error').toBe('ended with an error');
  const e = readGrpcError(outcome);
  expect(e).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, reason: 'SLOW_CONSUMER', domain: 'marketpulse' });
  expect(e.metadata).toMatchObject({ buffer_messages: String(v.buffer) });
  expect(e.message).toMatch(v.catchUpMethod);
  expect(v.received.length).toBe(taken - 1);
  expect(v.received).toEqual(Array.from({ length: taken - 1 }, (_, i) => String(i)));
}
