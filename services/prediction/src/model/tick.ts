/** One observed price, as the model sees it. */
export interface Tick {
  price: number;
  /** ms since the epoch */
  timeMs: number;
}
