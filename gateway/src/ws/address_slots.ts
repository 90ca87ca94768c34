import type { Connection } from './connection';

/**
 * Open connections per client address (WS_MAX_CONNECTIONS_PER_ADDRESS), so one host cannot hold
 * the whole of WS_MAX_CONNECTIONS. The address is the TCP peer's: behind a proxy, the proxy's.
 */
export class AddressSlots {
  private readonly open = new Map<string, number>();
  private readonly addresses = new WeakMap<Connection, string>();

  constructor(private readonly perAddress: number) {}

  /** Whether `address` may open one more connection; false when it already holds perAddress. */
  available(address: string): boolean {
    return (this.open.get(address) ?? 0) < this.perAddress;
  }

  /** The client address of an open connection. */
  addressOf(conn: Connection): string | undefined {
    return this.addresses.get(conn);
  }

  take(conn: Connection, address: string): void {
    this.addresses.set(conn, address);
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
  }

  release(conn: Connection): void {
    const address = this.addresses.get(conn);
    if (address === undefined) return;
    this.addresses.delete(conn);
    const left = (this.open.get(address) ?? 1) - 1;
    if (left <= 0) this.open.delete(address);
    else this.open.set(address, left);
  }
}
