import { clock, fill, h, panelTitle } from '../dom';
import type { LiveEvent } from '../session';
import { badge, type Context, type View } from './view';

interface Status {
  system_health: string;
  total: number;
  online: number;
  degraded: number;
  offline: number;
  avg_response_time_ms: number;
  open_alerts?: number;
  at: string;
}

/** System status: provider counts and health from the API, then from every status_update event. */
export function systemView(ctx: Context, root: HTMLElement, summary: HTMLElement): View {
  const body = h('dl', { class: 'facts', testid: 'system' });
  const events = h('dd', { testid: 'events-received' }, '0');
  let received = 0;
  let last: Status | undefined;
  fill(root, panelTitle('System status'), body);

  function render(): void {
    const s = last;
    summary.textContent = s ? `${s.system_health} · ${s.online}/${s.total} providers online` : '';
    fill(
      body,
      h('dt', {}, 'health'),
      h('dd', { testid: 'system-health' }, s ? badge(s.system_health) : '–'),
      h('dt', {}, 'providers'),
      h('dd', {}, s ? `${s.online} online · ${s.degraded} degraded · ${s.offline} offline (of ${s.total})` : '–'),
      h('dt', {}, 'avg latency'),
      h('dd', {}, s ? `${Math.round(s.avg_response_time_ms)} ms` : '–'),
      s?.open_alerts !== undefined && h('dt', {}, 'open alerts (1 h)'),
      s?.open_alerts !== undefined && h('dd', {}, s.open_alerts),
      h('dt', {}, 'as of'),
      h('dd', {}, clock(s?.at)),
      h('dt', {}, 'events received'),
      events,
    );
  }

  return {
    async load() {
      try {
        const s = await ctx.api.monitoring.status.query({});
        last = {
          system_health: s.system_health,
          total: s.total_apis,
          online: s.online,
          degraded: s.degraded,
          offline: s.offline,
          avg_response_time_ms: s.avg_response_time_ms,
          at: s.last_update ?? new Date().toISOString(),
        };
        render();
      } catch (err) {
        ctx.report('status', err);
      }
    },
    onEvent(ev: LiveEvent) {
      events.textContent = String(++received);
      if (ev.event_type !== 'status_update') return;
      const m = (ev.payload.system_metrics ?? {}) as Record<string, number | string>;
      last = {
        system_health: String(m.system_health ?? 'unknown'),
        total: Number(m.total_providers ?? 0),
        online: Number(m.online_count ?? 0),
        degraded: Number(m.degraded_count ?? 0),
        offline: Number(m.offline_count ?? 0),
        avg_response_time_ms: Number(m.avg_response_time_ms ?? 0),
        open_alerts: Number(ev.payload.alert_count ?? 0),
        at: ev.timestamp,
      };
      render();
    },
  };
}
