import {
  eventTimeProblem,
  PRICE_MAX,
  unprocessableRecord,
  type DeliveredEvent,
  type Logger,
  type TraceCarryover,
} from '@marketpulse/runtime';
import { BASELINE_PARAMS } from './lifecycle/train';
import type { Predictor } from './predictor';
import type { PredictionStore } from './store/store';

/** Pruning after every tick would double the database work; this keeps history within max + this. */
const PRUNE_EVERY_TICKS = 500;

/**
 * Turns `market_data_update` events into persisted history and model updates. A tick is stored
 * before the handler resolves (and so before its offset is committed): after a crash it is either
 * redelivered or already in the history the models are rebuilt from.
 */
export class TickIngest {
  private readonly sincePrune = new Map<string, number>();

  constructor(
    private readonly deps: {
      store: PredictionStore;
      predictor: Predictor;
      logger: Logger;
      historyTicks: number;
      /** The forecast round runs on a timer; this lets it continue the trace of the tick it absorbed. */
      carry: TraceCarryover;
    },
  ) {}

  /** Rebuilds every known symbol's live model from its deployed version and kept ticks. */
  async restore(): Promise<number> {
    const symbols = await this.deps.store.symbols();
    for (const symbol of symbols) {
      const deployed = await this.deps.store.deployedVersion(symbol);
      if (!deployed) continue;
      this.deps.predictor.load(symbol, deployed, await this.deps.store.ticks(symbol, {}, this.deps.historyTicks));
    }
    return symbols.length;
  }

  readonly handle = async ({ event }: DeliveredEvent): Promise<void> => {
    if (event.payload?.$case !== 'market_data_update') return;
    const tick = event.payload.market_data_update;
    const symbol = tick.symbol || event.subject;
    const timeMs = tick.timestamp ? Date.parse(tick.timestamp) : Number.NaN;
    // Redelivering a malformed tick would never succeed: the bus sets it aside in the dead-letter topic.
    if (!symbol || !(tick.price > 0 && tick.price <= PRICE_MAX))
      throw unprocessableRecord('TICK_MALFORMED', `a market_data_update needs a symbol and a price above 0 and at most ${PRICE_MAX}`);
    const timeProblem = eventTimeProblem(timeMs, Date.now());
    if (timeProblem) throw unprocessableRecord('TICK_MALFORMED', `the market_data_update's timestamp ${timeProblem}`);
    this.deps.carry.remember(symbol);
    if (!this.deps.predictor.has(symbol)) await this.admit(symbol);
    await this.deps.store.appendTick({ symbol, eventId: event.id, price: tick.price, volume: tick.volume, timeMs });
    this.deps.predictor.observe(symbol, { price: tick.price, timeMs });
    const count = (this.sincePrune.get(symbol) ?? 0) + 1;
    this.sincePrune.set(symbol, count);
    if (count >= PRUNE_EVERY_TICKS) {
      this.sincePrune.set(symbol, 0);
      await this.deps.store.pruneTicks(symbol, this.deps.historyTicks);
    }
  };

  private async admit(symbol: string): Promise<void> {
    const deployed = await this.deps.store.ensureBaseline(symbol, BASELINE_PARAMS, Date.now());
    this.deps.predictor.load(symbol, deployed, await this.deps.store.ticks(symbol, {}, this.deps.historyTicks));
    this.deps.logger.info({ symbol, version: deployed.number }, 'new symbol: model loaded');
  }
}
