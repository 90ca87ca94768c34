import { CLOSE, type CloseCodeEntry } from './codes';
import { afterProtocolPing, jsonFrame, type Frame } from './encode';

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
  /** The protocol ping frame alone: a door whose seed speaks no app ping. */
  protocolPing(): void;
  /** The protocol ping frame and then the app ping, after the frames already queued for the client. */
  pingWithApp(ping: AppPing): void;
  close(entry: CloseCodeEntry): void;
}

/** One beat's `{"type":"ping"}` message, shared by every connection it goes to. */
export interface AppPing {
  readonly message: Frame;
  /** The protocol ping frame and the message's frame as one Frame.ofWire, for a transport that takes frames as they are. */
  readonly withProtocolPing: Frame;
}

/**
 * Connections pinged per event-loop turn. A ping costs each connection a write, so pinging 1,000
 * connections in one turn held every publish that arrived meanwhile for 17–40 ms (issue 19's bench,
 * 1000 × 100 @ 10, when a ping was two writes: the round behind it set the row's p99).
 */
export const BEAT_SLICE = 100;

/**
 * One timer for all connections: every `intervalMs` each gets a protocol ping frame and, on doors
 * whose seed speaks it, one shared `{"type":"ping"}` message after it (one write for both where the
 * transport takes frames as they are), BEAT_SLICE connections per turn;
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
    const message = jsonFrame({ type: 'ping', timestamp: new Date().toISOString() });
    const ping: AppPing = { message, withProtocolPing: afterProtocolPing(message) };
    // The connections as the beat begins: one opened meanwhile has noted this beat already.
    const pending = [...this.connections()];
    const pingFrom = (start: number): void => {
      const end = Math.min(start + BEAT_SLICE, pending.length);
      for (let i = start; i < end; i++) {
        const conn = pending[i]!;
        if (conn.door.appPing) conn.pingWithApp(ping);
        else conn.protocolPing();
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
