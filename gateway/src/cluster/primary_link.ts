import type { DatabaseOp, Relay, ToPrimary, ToWorker } from './messages';

type Reply = Extract<ToWorker, { t: 'reply' }>;

/** An error the primary answered a call with; `code` is the database's own (e.g. a PostgreSQL SQLSTATE). */
export class PrimaryCallError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PrimaryCallError';
  }
}

/** The IPC channel a gateway worker has to its primary (process.send / 'message' of a forked process). */
export interface IpcChannel {
  send?(message: unknown, callback?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  readonly connected?: boolean;
}

/**
 * A worker's side of the channel: calls answered by the primary, relayed events, and the hello it
 * starts with. Create it before the worker's first await: a message that arrives while the process
 * has no 'message' listener is dropped.
 */
export class PrimaryLink {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private relayListener: ((message: Relay) => void) | undefined;
  /** Relays that came before a listener: kept, in order, for the first one. */
  private readonly early: Relay[] = [];
  readonly hello: Promise<Extract<ToWorker, { t: 'hello' }>>;

  constructor(private readonly channel: IpcChannel = process) {
    let greet: (hello: Extract<ToWorker, { t: 'hello' }>) => void = () => undefined;
    this.hello = new Promise((resolve) => (greet = resolve));
    channel.on('message', (raw) => {
      const message = raw as ToWorker;
      if (message.t === 'relay') {
        if (this.relayListener) this.relayListener(message);
        else this.early.push(message);
      } else if (message.t === 'reply') this.settle(message);
      else if (message.t === 'hello') greet(message);
    });
    channel.on('disconnect', () => {
      for (const [, call] of this.pending) call.reject(new PrimaryCallError('the gateway primary is gone'));
      this.pending.clear();
    });
  }

  get connected(): boolean {
    return this.channel.connected === true;
  }

  onRelay(listener: (message: Relay) => void): void {
    this.relayListener = listener;
    for (const message of this.early.splice(0)) listener(message);
  }

  /** Resolves once the message is written to the channel. */
  send(message: ToPrimary): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.channel.send || !this.connected) return reject(new PrimaryCallError('the gateway primary is gone'));
      this.channel.send(message, (err) => (err ? reject(new PrimaryCallError('the gateway primary is gone')) : resolve()));
    });
  }

  /** A call on the primary's database. */
  call<T>(op: DatabaseOp): Promise<T> {
    return this.request((id) => ({ t: 'db', id, ...op }));
  }

  /** Resolves once the primary has handed the events to every worker (this one first received them). */
  async publish(events: Uint8Array[], headers: Record<string, string>): Promise<void> {
    await this.request((id) => ({ t: 'publish', id, events, headers }));
  }

  /** The Prometheus text of every worker's metrics together. */
  metrics(): Promise<string> {
    return this.request((id) => ({ t: 'metrics', id }));
  }

  private request<T>(message: (id: number) => ToPrimary): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send(message(id)).catch((err: Error) => {
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private settle(reply: Reply): void {
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(new PrimaryCallError(reply.error.message, reply.error.code));
  }
}
