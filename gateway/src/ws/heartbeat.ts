import { CLOSE, type CloseCodeEntry } from './codes';
import { jsonFrame, type Frame } from './encode';

/** What the heartbeat needs from a connection. */
export interface Beating {
  /** Last time anything arrived from the client; its open time until then. */
  readonly lastSeen: number;
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
    const pingedAt = Date.now();
    const ping = jsonFrame({ type: 'ping', timestamp: new Date(pingedAt).toISOString() });
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
      if (conn.lastSeen < pingedAt) {
        this.onTimeout();
        conn.close(CLOSE.HEARTBEAT_TIMEOUT);
      }
    }
  }
}
