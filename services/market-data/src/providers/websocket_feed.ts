import WebSocket from 'ws';
import type { Tick } from '../tick';
import type { MarketDataProvider, TickSink } from './provider';
import { ProviderStatsRecorder, type ProviderStats } from './provider_stats';

/** The largest message an exchange may send: theirs are under 2 KB. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** What one exchange's public stream needs beyond the shared connection handling. */
export interface ExchangeProtocol {
  readonly name: string;
  /** Symbols (ours, e.g. BTC-USD) the exchange stream will price. */
  symbols(): string[];
  /** Full URL to connect to, from the configured base URL. */
  url(baseUrl: string): string;
  /** Messages to send once connected (subscriptions). */
  subscribeMessages(): string[];
  /** Ticks carried by one message, and the exchange's event time when the message has one. */
  parse(data: string): ParsedMessage;
}

export interface ParsedMessage {
  ticks: Tick[];
  eventTimeMs?: number;
  /** An error the exchange reported in-band (e.g. a refused subscription). */
  error?: string;
}

export interface WebSocketFeedOptions {
  baseUrl: string;
  /** Reconnect delays grow from min to max (doubling) while connections keep failing. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** The connection is dropped and re-opened when no message arrives for this long. */
  idleTimeoutMs: number;
  /** Messages read per second at most; past it reading pauses (MARKET_WS_MAX_MESSAGES_PER_SECOND). */
  maxMessagesPerSecond: number;
}

/** One public exchange stream: connects, subscribes, maps messages to ticks, reconnects. */
export class WebSocketFeedProvider implements MarketDataProvider {
  readonly liveClock = true;
  readonly name: string;
  private readonly recorder: ProviderStatsRecorder;
  private socket: WebSocket | undefined;
  private stopped = false;
  private reconnectDelayMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** Messages the feed may still read now: refills at maxMessagesPerSecond, holds at most one second's. */
  private budget: number;
  private budgetAtMs = performance.now();

  constructor(
    private readonly protocol: ExchangeProtocol,
    private readonly options: WebSocketFeedOptions,
  ) {
    this.name = protocol.name;
    this.recorder = new ProviderStatsRecorder(protocol.name);
    this.reconnectDelayMs = options.reconnectMinMs;
    this.budget = options.maxMessagesPerSecond;
  }

  symbols(): string[] {
    return this.protocol.symbols();
  }

  async start(sink: TickSink): Promise<void> {
    this.stopped = false;
    this.connect(sink);
  }

  private connect(sink: TickSink): void {
    const socket = new WebSocket(this.protocol.url(this.options.baseUrl), {
      perMessageDeflate: false,
      // An exchange that accepts the connection and never answers the upgrade held the feed down for
      // good (the idle timer starts at 'open'); one frame of ws's default 100 MiB cost 437 MB to parse.
      handshakeTimeout: this.options.idleTimeoutMs,
      maxPayload: MAX_MESSAGE_BYTES,
      // One message per turn of the event loop: ws otherwise handles every message of a read at once,
      // and an exchange flooding the feed (148,000 a second) held market-data's loop up to 615 ms,
      // its gRPC answers and Kafka publishes waiting behind.
      allowSynchronousEvents: false,
    });
    this.socket = socket;
    const connectStartedMs = Date.now();
    socket.on('open', () => {
      this.recorder.call(Date.now() - connectStartedMs, 0);
      this.recorder.setConnected(true);
      for (const message of this.protocol.subscribeMessages()) socket.send(message);
      this.touch(socket);
    });
    socket.on('message', (data: WebSocket.RawData) => {
      const receivedMs = Date.now();
      this.touch(socket);
      this.spend(socket);
      let parsed: ParsedMessage;
      try {
        parsed = this.protocol.parse(data.toString());
      } catch (error) {
        this.recorder.failure(error);
        return;
      }
      if (parsed.error !== undefined) {
        this.recorder.failure(new Error(parsed.error));
        return;
      }
      // A connection counts as good once a message reads, not once it opens: an exchange that
      // accepts and then fails or closes at once was reconnected to at the shortest delay for ever.
      this.reconnectDelayMs = this.options.reconnectMinMs;
      this.recorder.call(parsed.eventTimeMs === undefined ? 0 : receivedMs - parsed.eventTimeMs, parsed.ticks.length);
      for (const tick of parsed.ticks) sink(tick);
    });
    socket.on('error', (error) => this.recorder.failure(error));
    socket.on('close', () => {
      this.recorder.setConnected(false);
      if (this.idleTimer) clearTimeout(this.idleTimer);
      if (this.stopped || this.socket !== socket) return;
      this.reconnectTimer = setTimeout(() => this.connect(sink), this.reconnectDelayMs);
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.reconnectMaxMs);
    });
  }

  /**
   * Takes one message from the budget; once it is spent, reading pauses until a tenth of a second's
   * worth is back. The exchange then sees TCP backpressure: a burst is read late, not lost, and a
   * flood that does not stop makes the exchange drop the connection, which is retried as any other.
   */
  private spend(socket: WebSocket): void {
    const rate = this.options.maxMessagesPerSecond;
    const now = performance.now();
    this.budget = Math.min(rate, this.budget + ((now - this.budgetAtMs) * rate) / 1000) - 1;
    this.budgetAtMs = now;
    if (this.budget >= 0 || socket.isPaused) return;
    socket.pause();
    const waitMs = Math.ceil(((Math.max(1, rate / 10) - this.budget) * 1000) / rate);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (this.socket === socket) socket.resume();
    }, waitMs);
  }

  private touch(socket: WebSocket): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.recorder.failure(new Error(`no message from ${this.name} for ${this.options.idleTimeoutMs} ms; reconnecting`));
      socket.terminate();
    }, this.options.idleTimeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    }
    this.recorder.setConnected(false);
  }

  stats(): ProviderStats {
    return this.recorder.snapshot();
  }
}
