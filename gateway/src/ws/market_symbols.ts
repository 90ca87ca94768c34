import { market } from '@marketpulse/proto';
import { createClient } from '@marketpulse/runtime';

/** market-data's ListSymbols, for the symbol doors' catalog (symbol_catalog.ts). */
export function createMarketSymbols(address: string, deadlineMs = 2000): { list(): Promise<readonly string[]>; close(): void } {
  const client = createClient(market.MarketDataServiceClient, address, { deadlineMs });
  return {
    list: () =>
      new Promise((resolve, reject) => {
        client.listSymbols({ asset_class: '' }, (err, res) => (err ? reject(err) : resolve(res.symbols.map((s) => s.symbol))));
      }),
    close: () => client.close(),
  };
}
