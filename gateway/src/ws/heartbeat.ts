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
 * One timer for all connections: every `intervalMs` each gets a protocol ping frame and, on doors
 * whose seed speaks it, one shared `{"type":"ping"}` message; `timeoutMs` later every connection
 * from which nothing arrived since that ping is closed with HEARTBEAT_TIMEOUT.
 */
export class Heartbeat {
  private interval: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;

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
  }

  beat(): void {
    const pingedAt = ++beats;
    const ping = jsonFrame({ type: 'ping', timestamp: new Date().toISOString() });
    for (const conn of this.connections()) {
      if (conn.door.appPing) conn.deliver(ping);
      conn.protocolPing();
    }
    clearTimeout(this.check);
    this.check = setTimeout(() => this.expire(pingedAt), this.timeoutMs);
    this.check.unref();
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
