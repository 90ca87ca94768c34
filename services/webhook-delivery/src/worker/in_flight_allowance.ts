import { OrderedMap } from '@marketpulse/runtime';
import type { EndpointCap } from '../store/delivery_store';

/** What an endpoint with nothing in flight here may have sent at once: enough for a trickle, too little to hold the workers. */
export const STARTING_ALLOWANCE = 2;

/**
 * Endpoints with nothing in flight whose raised allowance is remembered (the oldest forgotten
 * first): attempts are recorded in batches, so a busy endpoint's count drops to nothing between
 * rounds, and forgetting it there made a fast endpoint climb from the start every round (bench/webhooks:
 * 340–370 deliveries/s against 490 on the same loaded machine).
 */
export const REMEMBERED_IDLE_ENDPOINTS = 256;

/** How an attempt ended, as far as holding a worker goes. */
export type AttemptEnd = 'in_time' | 'timed_out' | 'no_attempt';

interface EndpointState {
  inFlight: number;
  allowance: number;
}

/**
 * How many deliveries each endpoint may have in flight in this process: a slow start, as TCP's
 * congestion window. An endpoint starts at STARTING_ALLOWANCE; every attempt that ends before the
 * timeout while the endpoint used at least half its allowance raises it by one, up to the ceiling
 * (WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT). A fast endpoint with a backlog so grows by half per round
 * trip and reaches the ceiling in milliseconds; a slow one that answers gets there as it answers.
 * An attempt that timed out puts the endpoint back to the start: an endpoint that never answers
 * holds STARTING_ALLOWANCE workers, not the ceiling, so it takes sixteen of them, not two, to fill
 * 32 workers. The map holds endpoints with something in flight (bounded by the workers) and at
 * most REMEMBERED_IDLE_ENDPOINTS idle ones above the start.
 */
export class InFlightAllowance {
  private readonly endpoints = new Map<string, EndpointState>();
  /** The endpoints above with nothing in flight, oldest first (OrderedMap: a Set's first key walks past every deleted one). */
  private readonly idle = new OrderedMap<string, true>();
  private readonly starting: number;

  constructor(private readonly ceiling: number) {
    this.starting = Math.min(STARTING_ALLOWANCE, ceiling);
  }

  started(endpointId: string): void {
    const state = this.endpoints.get(endpointId);
    if (!state) this.endpoints.set(endpointId, { inFlight: 1, allowance: this.starting });
    else if (state.inFlight++ === 0) this.idle.delete(endpointId);
  }

  finished(endpointId: string, end: AttemptEnd): void {
    const state = this.endpoints.get(endpointId);
    if (!state) return;
    if (end === 'timed_out') state.allowance = this.starting;
    else if (end === 'in_time' && state.inFlight * 2 >= state.allowance) state.allowance = Math.min(this.ceiling, state.allowance + 1);
    state.inFlight -= 1;
    if (state.inFlight > 0) return;
    if (state.allowance === this.starting) return void this.endpoints.delete(endpointId);
    this.idle.set(endpointId, true);
    if (this.idle.size > REMEMBERED_IDLE_ENDPOINTS) {
      const oldest = this.idle.oldestKey()!;
      this.idle.delete(oldest);
      this.endpoints.delete(oldest);
    }
  }

  /** What the claim needs: each busy endpoint's count and allowance, and the allowance of any other. */
  cap(): EndpointCap {
    return { starting: this.starting, busy: this.endpoints };
  }
}
