import type { PredictionResult } from './predictor';

export type PredictionListener = (p: PredictionResult) => void;

/** In-process fan-out of the forecasts the publisher makes, for StreamPredictions callers. */
export class PredictionFeed {
  private readonly listeners = new Set<{ symbols?: Set<string>; listener: PredictionListener }>();

  /** Empty `symbols` means every symbol. Returns the unsubscribe function. */
  subscribe(symbols: readonly string[], listener: PredictionListener): () => void {
    const entry = { symbols: symbols.length > 0 ? new Set(symbols) : undefined, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  emit(p: PredictionResult): void {
    for (const { symbols, listener } of this.listeners) if (!symbols || symbols.has(p.symbol)) listener(p);
  }
}
