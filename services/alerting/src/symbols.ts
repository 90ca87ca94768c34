/**
 * Which symbols a rule may watch: those market data lists (asked through `lookup`, cached), those
 * seen on the tick stream, and any configured explicitly.
 */
export class KnownSymbols {
  private readonly seen = new Set<string>();
  private listed: { symbols: Set<string>; at: number } | undefined;

  constructor(
    private readonly configured: string[],
    /** Market data's symbol list; undefined when market data is not consulted. */
    private readonly lookup: (() => Promise<string[]>) | undefined,
    private readonly cacheMs = 30_000,
  ) {
    for (const s of configured) this.seen.add(s.toUpperCase());
  }

  note(symbol: string): void {
    if (symbol) this.seen.add(symbol.toUpperCase());
  }

  async has(symbol: string): Promise<boolean> {
    const s = symbol.toUpperCase();
    if (this.seen.has(s)) return true;
    if (!this.lookup) return false;
    if (!this.listed || Date.now() - this.listed.at > this.cacheMs || !this.listed.symbols.has(s)) {
      try {
        this.listed = { symbols: new Set((await this.lookup()).map((x) => x.toUpperCase())), at: Date.now() };
      } catch {
        // Market data unreachable: fall back to what the stream and configuration say.
        return false;
      }
    }
    return this.listed.symbols.has(s);
  }
}
