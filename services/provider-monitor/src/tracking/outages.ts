import type { providers } from '@marketpulse/proto';

/** One recorded status transition of a provider. */
export interface StatusTransition {
  timestamp: string;
  provider: string;
  old_status: string;
  new_status: string;
}

/**
 * Outages from the status history (newest first, as HistoryStore.statusChanges returns it): a
 * transition to offline starts one, the provider's next transition to any other status ends it.
 * An outage that began before the history is left out (its start is unknown); one still going on
 * has no end and lasts until `now`. Newest first.
 */
export function outagesFrom(newestFirst: StatusTransition[], now = Date.now()): providers.Outage[] {
  const oldestFirst = [...newestFirst].reverse();
  const open = new Map<string, providers.Outage>();
  const outages: providers.Outage[] = [];
  for (const t of oldestFirst) {
    const current = open.get(t.provider);
    if (t.new_status === 'offline') {
      // Still the same outage: after a restart the provider is seen degraded first, then offline again.
      if (current) continue;
      const outage: providers.Outage = {
        provider: t.provider,
        started_at: t.timestamp,
        ended_at: undefined,
        duration_seconds: 0,
        previous_status: t.old_status,
      };
      open.set(t.provider, outage);
      outages.push(outage);
    } else if (current) {
      current.ended_at = t.timestamp;
      open.delete(t.provider);
    }
  }
  for (const o of outages) {
    const end = o.ended_at ? Date.parse(o.ended_at) : now;
    o.duration_seconds = Math.max(0, Math.round((end - Date.parse(o.started_at!)) / 10) / 100);
  }
  return outages.reverse();
}
