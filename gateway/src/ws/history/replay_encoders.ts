import { alertsEncoder, liveEncoder, marketDataEncoder, predictionsEncoder, tradingEncoder, trpcEncoder } from '../doors/door_encoders';
import { streamEncoder } from '../doors/stream';
import type { StreamFormat } from '../doors/stream_frames';
import type { ChannelEncoder } from '../hub';

/**
 * How to build a door's encoder again: what a resuming client's encoder carries to the Kafka
 * read-back thread, which encodes its frames there with the same code (encoderOf), so the event
 * loop only writes them. Plain data, as a postMessage copies it.
 */
export type EncoderRecipe =
  | { readonly door: 'market-data' | 'alerts' | 'predictions' | 'trading' | 'trpc' }
  /** The client count a status_update carries: as it was when the read-back started. */
  | { readonly door: 'live'; readonly activeClients: number }
  | {
      readonly door: 'stream';
      readonly id: string;
      readonly type: string;
      readonly filters: Readonly<Record<string, unknown>>;
      readonly format: StreamFormat;
    };

/** An encoder the read-back thread can build again: every encoder a client may resume with. */
export interface ResumableEncoder extends ChannelEncoder {
  readonly recipe: EncoderRecipe;
}

const FIXED: Readonly<Record<string, ChannelEncoder>> = {
  'market-data': marketDataEncoder,
  alerts: alertsEncoder,
  predictions: predictionsEncoder,
  trading: tradingEncoder,
  trpc: trpcEncoder,
};

/** The encoder a recipe describes. */
export function encoderOf(recipe: EncoderRecipe): ChannelEncoder {
  switch (recipe.door) {
    case 'live': {
      const clients = recipe.activeClients;
      return liveEncoder(() => clients);
    }
    case 'stream':
      return streamEncoder(recipe.id, recipe.type, recipe.filters, recipe.format);
    default:
      return FIXED[recipe.door]!;
  }
}
