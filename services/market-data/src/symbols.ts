import type { market } from '@marketpulse/proto';

const NAMES: Record<string, string> = {
  AAPL: 'Apple Inc.',
  MSFT: 'Microsoft Corporation',
  GOOGL: 'Alphabet Inc. Class A',
  AMZN: 'Amazon.com, Inc.',
  TSLA: 'Tesla, Inc.',
  'BTC-USD': 'Bitcoin / US Dollar',
  'ETH-USD': 'Ether / US Dollar',
};

/** Describes a symbol: BASE-QUOTE pairs are crypto priced in QUOTE, anything else a US-listed equity. */
export function symbolInfo(symbol: string, providers: string[], active: boolean): market.SymbolInfo {
  const [base, quote] = symbol.split('-');
  const crypto = quote !== undefined;
  return {
    symbol,
    name: NAMES[symbol] ?? (crypto ? `${base} / ${quote}` : symbol),
    asset_class: crypto ? 'crypto' : 'equity',
    currency: crypto ? quote : 'USD',
    exchange: crypto ? 'CRYPTO' : 'NASDAQ',
    active,
    providers,
  };
}
