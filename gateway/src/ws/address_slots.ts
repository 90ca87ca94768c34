/** What holds a slot: the connection, which keeps its own address (a field costs less than a map entry). */
export interface AddressHolder {
  readonly address: string;
}

/**
 * Open connections per client address (WS_MAX_CONNECTIONS_PER_ADDRESS), so one host cannot hold
 * the whole of WS_MAX_CONNECTIONS. The address is http/client_address.ts's: the TCP peer, or the
 * client a trusted proxy (TRUSTED_PROXIES) forwarded.
 */
export class AddressSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perAddress: number) {}

  /** Whether `address` may open one more connection; false when it already holds perAddress. */
  available(address: string): boolean {
    return (this.open.get(address) ?? 0) < this.perAddress;
  }

  /** Takes a slot of the holder's address; the holder releases it once, when it closes. */
  take(holder: AddressHolder): void {
    this.open.set(holder.address, (this.open.get(holder.address) ?? 0) + 1);
  }

  release(holder: AddressHolder): void {
    const left = (this.open.get(holder.address) ?? 1) - 1;
    if (left <= 0) this.open.delete(holder.address);
    else this.open.set(holder.address, left);
  }
}
