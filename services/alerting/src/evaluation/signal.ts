/**
 * The facts rules are evaluated on, decoded from bus events by signal_from_event.ts so that the
 * evaluator stays independent of the wire format. `at` is the event time in epoch ms.
 */
export type Signal =
  | { type: 'price'; symbol: string; price: number; at: number }
  | {
      type: 'prediction';
      id: string;
      symbol: string;
      horizon_seconds: number;
      predicted_price: number;
      lower: number;
      upper: number;
      /** When the forecast was made and the moment it is about: the span it covers. */
      made_at: number;
      target_at: number | undefined;
      at: number;
    }
  | {
      type: 'equity';
      subject: string;
      /** The account's user when the event is owned ('' for a system event): whose equity it is. */
      owner: string;
      peak_equity: number;
      current_equity: number;
      at: number;
    }
  | { type: 'risk_status'; subject: string; status: string; message: string; drawdown_pct: number; daily_loss_pct: number; at: number }
  | { type: 'rate_limit'; provider: string; used: number; limit: number; percentage: number; at: number }
  | { type: 'provider_status'; provider: string; old_status: string; new_status: string; at: number }
  | { type: 'data_quality'; symbol: string; provider: string; kind: string; detail: string; at: number }
  | { type: 'system_error'; service: string; code: string; message: string; at: number };
