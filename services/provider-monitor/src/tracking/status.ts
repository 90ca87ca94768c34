/** Provider status classification from probe outcomes. */
export type ProviderStatus = 'unknown' | 'online' | 'degraded' | 'offline';

export interface StatusPolicy {
  /** A successful probe slower than this makes the provider degraded. */
  degraded_latency_ms: number;
  /** Consecutive failures after which the provider is offline; fewer make it degraded. */
  failures_before_offline: number;
}

export interface ProbeOutcome {
  ok: boolean;
  latency_ms: number;
  /** A status the upstream reported about itself (e.g. market-data's view of a feed); it wins. */
  reported?: Exclude<ProviderStatus, 'unknown'>;
}

export interface StatusChange {
  old_status: ProviderStatus;
  new_status: ProviderStatus;
}

export function classify(outcome: ProbeOutcome, consecutiveFailures: number, policy: StatusPolicy): ProviderStatus {
  if (outcome.reported) return outcome.reported;
  if (!outcome.ok) return consecutiveFailures >= policy.failures_before_offline ? 'offline' : 'degraded';
  return outcome.latency_ms > policy.degraded_latency_ms ? 'degraded' : 'online';
}

/**
 * One provider's status over time. The first classification leaves `unknown` without a change
 * event (nothing changed that anyone saw); every later transition yields exactly one.
 */
export class StatusTracker {
  status: ProviderStatus = 'unknown';
  consecutiveFailures = 0;

  constructor(private readonly policy: StatusPolicy) {}

  observe(outcome: ProbeOutcome): StatusChange | undefined {
    this.consecutiveFailures = outcome.ok ? 0 : this.consecutiveFailures + 1;
    const next = classify(outcome, this.consecutiveFailures, this.policy);
    const old = this.status;
    if (next === old) return undefined;
    this.status = next;
    return old === 'unknown' ? undefined : { old_status: old, new_status: next };
  }
}
