import { clock, fill, h, panelTitle } from '../dom';
import { badge, refreshingView, type Context, type View } from './view';

const REFRESH_MS = 10_000;
const DELIVERIES_SHOWN = 20;

interface Attempt {
  attempt_number: number;
  status_code: number;
  duration_ms: number;
  error: string;
  trigger: string;
}

function attemptText(a: Attempt): string {
  const outcome = a.status_code ? `HTTP ${a.status_code}` : a.error || 'no answer';
  return `#${a.attempt_number} ${outcome} in ${a.duration_ms} ms${a.trigger && a.trigger !== 'scheduled' ? ` (${a.trigger})` : ''}`;
}

/** Webhook endpoints and, for the chosen one, its deliveries with every attempt and a Replay button. */
export function webhooksView(ctx: Context, root: HTMLElement): View {
  const endpoints = h('ul', { class: 'feed', testid: 'webhooks' });
  const deliveries = h('ul', { class: 'feed', testid: 'deliveries' });
  const chosenLabel = h('span', { class: 'muted' });
  let chosen = '';
  fill(
    root,
    panelTitle('Webhooks'),
    h(
      'div',
      { class: 'split' },
      h('div', {}, h('h3', {}, 'Endpoints'), endpoints),
      h('div', {}, h('h3', {}, 'Deliveries ', chosenLabel), deliveries),
    ),
  );

  async function replay(id: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await ctx.api.webhooks.replay.mutate({ id });
      button.textContent = 'Replay queued';
      view.soon();
    } catch (err) {
      button.disabled = false;
      ctx.report('replay', err);
    }
  }

  async function loadDeliveries(): Promise<void> {
    if (!chosen) return fill(deliveries, h('li', { class: 'muted' }, 'no endpoint yet'));
    const list = await ctx.api.webhooks.deliveries.query({ id: chosen, limit: DELIVERIES_SHOWN });
    fill(
      deliveries,
      ...list.map((d) =>
        h(
          'li',
          { testid: 'delivery', 'data-id': d.id, 'data-event-id': d.event_id, 'data-status': d.status, class: 'stack' },
          h(
            'div',
            { class: 'line' },
            badge(d.status),
            h('strong', {}, d.event_type),
            h('span', { class: 'muted' }, d.subject),
            h('span', { class: 'grow muted' }, clock(d.created_at)),
            h('span', { testid: 'delivery-attempt-count' }, `${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`),
            h(
              'button',
              { testid: 'delivery-replay', on: { click: (e) => void replay(d.id, e.currentTarget as HTMLButtonElement) } },
              'Replay',
            ),
          ),
          h(
            'ol',
            { class: 'attempts', testid: 'delivery-attempts' },
            ...d.attempts.map((a) => h('li', { testid: 'delivery-attempt' }, attemptText(a))),
          ),
        ),
      ),
    );
    if (list.length === 0) fill(deliveries, h('li', { class: 'muted' }, 'no deliveries yet'));
  }

  async function load(): Promise<void> {
    try {
      const list = await ctx.api.webhooks.list.query({});
      if (!list.some((w) => w.id === chosen)) chosen = list[0]?.id ?? '';
      chosenLabel.textContent = chosen ? `· ${chosen}` : '';
      fill(
        endpoints,
        ...list.map((w) =>
          h(
            'li',
            {
              testid: 'webhook',
              'data-id': w.id,
              class: w.id === chosen ? 'selected clickable' : 'clickable',
              on: {
                click: () => {
                  chosen = w.id;
                  void load();
                },
              },
            },
            badge(w.active ? 'active' : 'disabled'),
            h('span', { class: 'grow clip' }, w.url),
            h('span', { class: 'muted' }, w.events.join(', ')),
          ),
        ),
      );
      if (list.length === 0) fill(endpoints, h('li', { class: 'muted' }, 'no webhook endpoints: create one with POST /api/v1/webhooks'));
      await loadDeliveries();
    } catch (err) {
      ctx.report('webhooks', err);
    }
  }

  const view = refreshingView(load, { everyMs: REFRESH_MS, debounceMs: 500, types: ['webhook_delivery'] });
  return view;
}
