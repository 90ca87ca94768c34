import { CLOSE, type CloseCodeEntry } from './codes';
import { jsonFrame, type Frame } from './encode';

/**
 * The heartbeat's clock: the number of pings sent by any gateway of the process. A connection
 * notes it when anything arrives, as a small integer where an epoch time would be a boxed number
 * of its own (16 bytes per connection). It only ever grows, so a connection that noted less than
 * a ping's number has been silent since that ping, whichever gateway advanced it meanwhile.
 */
let beats = 0;

export function currentBeat(): number {
  return beats;
}

/** What the heartbeat needs from a connection. */
export interface Beating {
  /** currentBeat() when anything last arrived from the client; when it opened until then. */
  readonly lastSeenBeat: number;
  readonly door: { readonly appPing: boolean };
  deliver(frame: Frame): void;
  protocolPing(): void;
  close(entry: CloseCodeEntry): void;
}

/**
 * Connections pinged per event-loop turn. A ping is two writes per connection (the protocol frame
 * and the app message), so pinging 1,000 connections in one turn held every publish that arrived
 * meanwhile for 17–40 ms (issue 19's bench, 1000 × 100 @ 10: the round behind it set the row's p99).
 */
export const BEAT_SLICE = 100;

/**
 * One timer for all connections: every `intervalMs` each gets a protocol ping frame and, on doors
 * whose seed speaks it, one shared `{"type":"ping"}` message, BEAT_SLICE connections per turn;
 * `timeoutMs` after the last of them every connection from which nothing arrived since that beat
 * began is closed with HEARTBEAT_TIMEOUT.
 */
export class Heartbeat {
  private interval: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  /** The next slice of the beat in progress. */
  private slice: NodeJS.Immediate | undefined;

  constructor(
    private readonly connections: () => Iterable<Beating>,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void = () => {},
  ) {}

  start(): void {
    this.interval = setInterval(() => this.beat(), this.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.check);
    clearImmediate(this.slice);
  }

  /** Starts a beat; one still in progress gives way to it (its connections are in this one). */
  beat(): void {
    clearImmediate(this.slice);
    clearTimeout(this.check);
    const pingedAt = ++beats;
    const ping = jsonFrame({ type: 'ping', timestamp: new Date().toISOString() });
    // The connections as the beat begins: one opened meanwhile has noted this beat already.
    const pending = [...this.connections()];
    const pingFrom = (start: number): void => {
      const end = Math.min(start + BEAT_SLICE, pending.length);
      for (let i = start; i < end; i++) {
        const conn = pending[i]!;
        if (conn.door.appPing) conn.deliver(ping);
        conn.protocolPing();
      }
      if (end < pending.length) {
        this.slice = setImmediate(pingFrom, end);
        return;
      }
      this.slice = undefined;
      this.check = setTimeout(() => this.expire(pingedAt), this.timeoutMs);
      this.check.unref();
    };
    pingFrom(0);
  }

  private expire(pingedAt: number): void {
    for (const conn of [...this.connections()]) {
      if (conn.lastSeenBeat < pingedAt) {
        this.onTimeout();
        conn.close(CLOSE.HEARTBEAT_TIMEOUT);
      }
    }
  }
}
