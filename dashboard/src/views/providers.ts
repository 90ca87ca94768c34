import { clock, fill, h, panelTitle, table } from '../dom';
import { badge, refreshingView, type Context, type View } from './view';

const REFRESH_MS = 10_000;

/** Set through the CSSOM: the page's Content-Security-Policy refuses inline style attributes. */
function meterFill(pct: number): HTMLSpanElement {
  const el = h('span', { class: `meter-fill ${pct >= 80 ? 'hot' : ''}` });
  el.style.width = `${pct}%`;
  return el;
}

/** Every watched provider: status, latency, rate-limit usage and the most recent failures. */
export function providersView(ctx: Context, root: HTMLElement): View {
  const tbody = h('tbody');
  const failures = h('ul', { class: 'feed compact', testid: 'provider-failures' });
  fill(
    root,
    panelTitle('Providers'),
    table({ testid: 'providers' }, ['provider', 'status', { num: 'latency' }, 'rate limit', 'last error'], tbody),
    h('h3', {}, 'Recent failures'),
    failures,
  );

  async function load(): Promise<void> {
    try {
      const [providers, limits, logs] = await Promise.all([
        ctx.api.monitoring.providers.query({}),
        ctx.api.monitoring.rateLimits.query({}),
        ctx.api.monitoring.logs.query({ log_type: 'failure', hours: 1, limit: 10 }),
      ]);
      const usage = new Map(limits.rate_limits.map((r) => [r.provider, r]));
      fill(
        tbody,
        ...providers.providers.map((p) => {
          const r = usage.get(p.name);
          const pct = r ? Math.min(100, Math.max(0, r.percentage)) : 0;
          return h(
            'tr',
            { testid: 'provider-row', 'data-name': p.name },
            h('td', {}, p.name, h('span', { class: 'muted' }, ` ${p.category}`)),
            h('td', {}, badge(p.status)),
            h('td', { class: 'num', testid: 'provider-latency' }, `${Math.round(p.response_time_ms)} ms`),
            h(
              'td',
              { testid: 'provider-rate' },
              r
                ? h(
                    'span',
                    { class: 'meter', title: `${r.current_usage} of ${r.limit_value} (${r.limit_type})` },
                    meterFill(pct),
                    h('span', { class: 'meter-text' }, `${r.current_usage}/${r.limit_value} ${r.limit_type}`),
                  )
                : h('span', { class: 'muted' }, 'no limit'),
            ),
            h('td', { class: 'muted clip' }, p.last_error || ''),
          );
        }),
      );
      if (providers.providers.length === 0) fill(tbody, h('tr', {}, h('td', { class: 'muted', colSpan: 5 }, 'no providers registered')));
      fill(
        failures,
        ...logs.logs.map((l) =>
          h(
            'li',
            {},
            h('span', { class: 'muted' }, clock(l.timestamp)),
            h('strong', {}, l.provider),
            h('span', { class: 'grow' }, `${l.error_type || l.status}: ${l.error_message}`),
          ),
        ),
      );
      if (logs.logs.length === 0) fill(failures, h('li', { class: 'muted' }, 'no failures in the last hour'));
    } catch (err) {
      ctx.report('providers', err);
    }
  }

  return refreshingView(load, { everyMs: REFRESH_MS, debounceMs: 1000, types: ['provider_status_change', 'rate_limit_alert'] });
}
