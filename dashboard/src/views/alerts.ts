import { clock, fill, h, panelTitle } from '../dom';
import type { LiveEvent } from '../session';
import { NewestFirst } from './newest';
import { badge, type Context, type View } from './view';

/**
 * Alerts shown, and all the page holds: acknowledged ones stay listed, so none ever needs a reserve
 * to fill a gap, and an alert pushed out comes back only with load() (from the API), never live.
 */
const KEPT = 50;

interface Alert {
  id: string;
  rule_name: string;
  severity: string;
  symbol: string;
  message: string;
  timestamp: string | null;
  acknowledged: boolean;
  acknowledged_by: string;
}

/** The alert feed, newest first, live from the stream, each with an Acknowledge button. */
export function alertsView(ctx: Context, root: HTMLElement): View {
  const alerts = new NewestFirst<Alert>(KEPT, (a) => a.timestamp);
  const list = h('ul', { class: 'feed', testid: 'alerts' });
  const count = h('span', { class: 'muted', testid: 'alerts-unacknowledged' });
  fill(root, panelTitle('Alerts ', count), list);

  // A burst of alerts (a busy stream, a resume) rebuilds the list once per frame, not once per alert.
  let frame = 0;
  function render(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      renderNow();
    });
  }

  function renderNow(): void {
    const sorted = alerts.values();
    count.textContent = `· ${sorted.filter((a) => !a.acknowledged).length} open`;
    fill(
      list,
      ...sorted.map((a) =>
        h(
          'li',
          { testid: 'alert', 'data-id': a.id, 'data-rule': a.rule_name, class: `stack ${a.acknowledged ? 'done' : ''}` },
          h(
            'div',
            { class: 'line' },
            badge(a.severity),
            h('span', { class: 'muted' }, clock(a.timestamp)),
            h('strong', { class: 'grow' }, a.symbol || 'system', a.rule_name ? h('span', { class: 'muted' }, ` · ${a.rule_name}`) : null),
            a.acknowledged
              ? h(
                  'span',
                  { class: 'muted', testid: 'alert-acknowledged' },
                  `acknowledged${a.acknowledged_by ? ` by ${a.acknowledged_by}` : ''}`,
                )
              : h(
                  'button',
                  { testid: 'alert-ack', on: { click: (e) => void acknowledge(a, e.currentTarget as HTMLButtonElement) } },
                  'Acknowledge',
                ),
          ),
          h('div', { class: 'message' }, a.message),
        ),
      ),
    );
  }

  async function acknowledge(alert: Alert, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const done = await ctx.api.monitoring.acknowledgeAlert.mutate({ id: alert.id });
      if (alerts.put(done)) render();
    } catch (err) {
      button.disabled = false;
      ctx.report('acknowledge', err);
    }
  }

  return {
    async load() {
      try {
        const res = await ctx.api.monitoring.alerts.query({ limit: KEPT });
        alerts.clear();
        for (const a of res.alerts) alerts.put(a);
        render();
      } catch (err) {
        ctx.report('alerts', err);
      }
    },
    onEvent(ev: LiveEvent) {
      if (ev.event_type !== 'alert_triggered') return;
      const a = ev.payload as Alert;
      if (!alerts.has(a.id) && alerts.put(a)) render();
    },
  };
}
