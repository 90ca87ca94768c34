/** The symbols market-data carries, as a door needs them: is this one real? */
export interface SymbolCheck {
  known: boolean;
  /** Every symbol carried (for the error message). */
  symbols: readonly string[];
}

/** A symbol missing from a list older than this is looked up again (market-data may have added it). */
const RECHECK_MS = 5_000;

/**
 * Caches market-data's ListSymbols for `ttlMs`. `check` answers undefined when market-data cannot
 * be asked: a door then stays open (an outage must not look like an unknown symbol).
 */
export class SymbolCatalog {
  private symbols: Set<string> | undefined;
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly list: () => Promise<readonly string[]>,
    private readonly ttlMs = 30_000,
  ) {}

  async check(symbol: string): Promise<SymbolCheck | undefined> {
    const age = Date.now() - this.fetchedAt;
    if (!this.symbols || age > this.ttlMs || (!this.symbols.has(symbol) && age > RECHECK_MS)) await this.refresh();
    if (!this.symbols) return undefined;
    return { known: this.symbols.has(symbol), symbols: [...this.symbols] };
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.list()
      .then((list) => {
        this.symbols = new Set(list);
        this.fetchedAt = Date.now();
      })
      .catch(() => {
        // Keep the last list, if any; ask again on the next check.
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
