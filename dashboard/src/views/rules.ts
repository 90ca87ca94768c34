import { fill, h, panelTitle } from '../dom';
import { badge, type Context, type View } from './view';

type Kind = 'price_above' | 'price_below' | 'percent_move';

function describe(condition: Record<string, Record<string, unknown>>): string {
  const [kind, args] = Object.entries(condition)[0] ?? ['?', {}];
  return `${kind.replace(/_/g, ' ')} ${Object.entries(args)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ')}`;
}

/** The user's alert rules: list, create (price above/below, percent move) and delete. */
export function rulesView(ctx: Context, root: HTMLElement): View {
  const list = h('ul', { class: 'feed', testid: 'rules' });
  const name = h('input', { name: 'name', placeholder: 'name', required: true, maxLength: 200 });
  const symbol = h('input', { name: 'symbol', placeholder: 'symbol, e.g. AAPL', required: true, maxLength: 32 });
  const kind = h(
    'select',
    { name: 'kind' },
    h('option', { value: 'price_above' }, 'price above'),
    h('option', { value: 'price_below' }, 'price below'),
    h('option', { value: 'percent_move' }, 'moves by % in 60 s'),
  );
  const value = h('input', { name: 'value', type: 'number', step: 'any', min: '0', placeholder: 'price or %', required: true });
  const severity = h(
    'select',
    { name: 'severity' },
    ...['info', 'warning', 'high', 'critical'].map((s) => h('option', { value: s, selected: s === 'warning' }, s)),
  );
  const form = h(
    'form',
    { class: 'row-form', testid: 'rule-form' },
    name,
    symbol,
    kind,
    value,
    severity,
    h('button', { type: 'submit' }, 'Create rule'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void create();
  });
  fill(root, panelTitle('Alert rules'), form, list);

  async function create(): Promise<void> {
    const n = Number(value.value);
    const k = kind.value as Kind;
    const condition =
      k === 'percent_move' ? { percent_move: { percent: n, window_seconds: 60, direction: 'either' as const } } : { [k]: { price: n } };
    try {
      await ctx.api.alertRules.create.mutate({
        name: name.value.trim(),
        symbol: symbol.value.trim().toUpperCase(),
        severity: severity.value as 'info' | 'warning' | 'high' | 'critical',
        enabled: true,
        condition,
      });
      form.reset();
      await load();
    } catch (err) {
      ctx.report('create rule', err);
    }
  }

  async function remove(id: string): Promise<void> {
    try {
      await ctx.api.alertRules.delete.mutate({ id });
      await load();
    } catch (err) {
      ctx.report('delete rule', err);
    }
  }

  async function load(): Promise<void> {
    try {
      const rules = await ctx.api.alertRules.list.query({});
      fill(
        list,
        ...rules.map((r) =>
          h(
            'li',
            { testid: 'rule', 'data-id': r.id, 'data-name': r.name },
            badge(r.severity),
            h('strong', {}, r.symbol || 'any'),
            h('span', { class: 'grow' }, `${r.name}: ${describe(r.condition)}${r.enabled ? '' : ' (disabled)'}`),
            h('button', { testid: 'rule-delete', on: { click: () => void remove(r.id) } }, 'Delete'),
          ),
        ),
      );
      if (rules.length === 0) fill(list, h('li', { class: 'muted' }, 'no rules yet'));
    } catch (err) {
      ctx.report('rules', err);
    }
  }

  return { load };
}
