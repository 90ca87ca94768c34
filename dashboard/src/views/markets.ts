import { drawChart, type Bar, type Forecast } from '../chart';
import { clock, fill, h, panelTitle, percent, price, table } from '../dom';
import type { LiveEvent } from '../session';
import type { Context, View } from './view';

/** One-second candles: the simulated feed ticks twice a second and forecasts look a minute ahead. */
const BAR_MS = 1000;
const BARS_KEPT = 180;
const FORECASTS_KEPT = 12;

interface Quote {
  /** market-data numbers each symbol's ticks 1, 2, 3…: a jump is a tick this page never got. */
  sequence: number;
  missed: number;
  price: number;
  bid: number;
  ask: number;
  first: number;
  time: string;
  ticks: number;
}

interface Prediction {
  symbol: string;
  predicted_price: number;
  current_price: number;
  confidence: number;
  horizon_seconds: number;
  model_version: string;
  interval?: { lower: number; upper: number; level: number };
  timestamp: string;
  target_time: string;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/** Live quotes, the candle chart of the chosen symbol with its forecasts, and the latest forecasts. */
export function marketsView(ctx: Context, root: HTMLElement, predictionsRoot: HTMLElement): View {
  const quotes = new Map<string, Quote>();
  const bars = new Map<string, Bar[]>();
  const forecasts = new Map<string, Forecast[]>();
  const latest = new Map<string, Prediction>();
  const rows = new Map<string, HTMLTableRowElement>();
  let selected = '';

  const tbody = h('tbody');
  const canvas = h('canvas', { class: 'chart', testid: 'chart' });
  const chartTitle = h('span', { class: 'muted', testid: 'chart-symbol' });
  const predictionsBody = h('tbody');
  fill(
    root,
    panelTitle('Markets ', chartTitle),
    h(
      'div',
      { class: 'markets' },
      table(
        { class: 'quotes', testid: 'quotes' },
        ['symbol', { num: 'price' }, { num: 'change' }, { num: 'bid / ask' }, { num: 'ticks' }, 'time'],
        tbody,
      ),
      h(
        'div',
        { class: 'chart-box' },
        canvas,
        h(
          'p',
          { class: 'legend' },
          "one-second candles; shaded: the latest forecasts' confidence intervals up to their target times; dashed: the latest forecast",
        ),
      ),
    ),
  );
  fill(
    predictionsRoot,
    panelTitle('Predictions'),
    table({ testid: 'predictions' }, ['symbol', { num: 'forecast' }, { num: 'interval' }, { num: 'conf.' }, 'in'], predictionsBody),
  );

  let frame = 0;
  const redraw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      chartTitle.textContent = selected ? `· ${selected}` : '';
      const shown = bars.get(selected) ?? [];
      drawChart(canvas, shown, forecasts.get(selected) ?? [], BAR_MS);
      describeChart(shown, forecasts.get(selected)?.length ?? 0);
    });
  };
  window.addEventListener('resize', redraw);

  /** What the chart shows, for a person hovering it and for the browser tests: a missing second is a gap. */
  function describeChart(shown: readonly Bar[], forecastCount: number): void {
    const first = shown[0]?.t;
    const last = shown[shown.length - 1]?.t;
    const missing = first === undefined || last === undefined ? 0 : (last - first) / BAR_MS + 1 - shown.length;
    Object.assign(canvas.dataset, {
      symbol: selected,
      bars: String(shown.length),
      forecasts: String(forecastCount),
      first: String(first ?? ''),
      last: String(last ?? ''),
      missing: String(missing),
    });
    canvas.title = shown.length
      ? `${selected}: ${shown.length} one-second candles, ${missing} seconds without one, ${forecastCount} forecasts`
      : '';
  }

  function select(symbol: string): void {
    selected = symbol;
    for (const [s, row] of rows) row.classList.toggle('selected', s === symbol);
    void loadBars(symbol);
    redraw();
  }

  function row(symbol: string): HTMLTableRowElement {
    let tr = rows.get(symbol);
    if (!tr) {
      tr = h('tr', { testid: 'quote-row', 'data-symbol': symbol, on: { click: () => select(symbol) } });
      rows.set(symbol, tr);
      const sorted = [...rows.keys()].sort();
      tbody.insertBefore(tr, rows.get(sorted[sorted.indexOf(symbol) + 1] ?? '') ?? null);
      if (!selected) select(symbol);
    }
    return tr;
  }

  function renderQuote(symbol: string): void {
    const q = quotes.get(symbol);
    const tr = row(symbol);
    const change = q ? ((q.price - q.first) / q.first) * 100 : undefined;
    tr.dataset.sequence = String(q?.sequence ?? '');
    tr.dataset.missedTicks = String(q?.missed ?? 0);
    fill(
      tr,
      h('td', {}, symbol),
      h('td', { class: 'num', testid: 'quote-price' }, price(q?.price)),
      h('td', { class: `num ${change === undefined ? '' : change >= 0 ? 'up' : 'down'}` }, percent(change)),
      h('td', { class: 'num' }, q ? `${price(q.bid)} / ${price(q.ask)}` : '–'),
      h('td', { class: 'num', testid: 'quote-ticks' }, q?.ticks ?? 0),
      h('td', { testid: 'quote-time' }, clock(q?.time)),
    );
  }

  function addToBar(symbol: string, t: number, p: number): void {
    const list = bars.get(symbol) ?? [];
    const start = Math.floor(t / BAR_MS) * BAR_MS;
    const last = list[list.length - 1];
    if (last && last.t === start) {
      last.high = Math.max(last.high, p);
      last.low = Math.min(last.low, p);
      last.close = p;
    } else if (!last || start > last.t) {
      list.push({ t: start, open: p, high: p, low: p, close: p });
      if (list.length > BARS_KEPT) list.splice(0, list.length - BARS_KEPT);
    }
    bars.set(symbol, list);
  }

  async function loadBars(symbol: string): Promise<void> {
    try {
      const res = await ctx.api.market.candles.query({ symbol, interval: '1s', limit: BARS_KEPT });
      const loaded = res.candles
        .map((c) => ({ t: ms(c.open_time), open: c.open, high: c.high, low: c.low, close: c.close }))
        .filter((b) => Number.isFinite(b.t));
      loaded.sort((a, b) => a.t - b.t);
      // Bars being formed from live ticks are newer than the last closed candle: keep them.
      const newest = loaded[loaded.length - 1]?.t ?? -Infinity;
      bars.set(symbol, [...loaded, ...(bars.get(symbol) ?? []).filter((b) => b.t > newest)].slice(-BARS_KEPT));
      redraw();
    } catch (err) {
      ctx.report(`candles of ${symbol}`, err);
    }
  }

  function renderPredictions(): void {
    fill(
      predictionsBody,
      ...[...latest.values()]
        .sort((a, b) => a.symbol.localeCompare(b.symbol))
        .map((p) =>
          h(
            'tr',
            { testid: 'prediction-row', 'data-symbol': p.symbol },
            h('td', {}, p.symbol),
            h('td', { class: 'num', testid: 'prediction-price' }, price(p.predicted_price)),
            h(
              'td',
              { class: 'num', testid: 'prediction-interval' },
              p.interval ? `${price(p.interval.lower)} – ${price(p.interval.upper)} @${Math.round(p.interval.level * 100)}%` : '–',
            ),
            h('td', { class: 'num' }, percent(p.confidence * 100, 0)),
            h('td', {}, `+${p.horizon_seconds} s`),
          ),
        ),
    );
  }

  function onPrediction(p: Prediction): void {
    latest.set(p.symbol, p);
    renderPredictions();
    if (!p.interval) return;
    const list = forecasts.get(p.symbol) ?? [];
    list.push({
      madeAt: ms(p.timestamp),
      target: ms(p.target_time),
      from: p.current_price,
      price: p.predicted_price,
      lower: p.interval.lower,
      upper: p.interval.upper,
    });
    forecasts.set(p.symbol, list.slice(-FORECASTS_KEPT));
    if (p.symbol === selected) redraw();
  }

  return {
    async load() {
      try {
        const { symbols } = await ctx.api.market.symbols.query({});
        for (const s of symbols.filter((x) => x.active)) renderQuote(s.symbol);
      } catch (err) {
        ctx.report('symbols', err);
      }
      if (selected) await loadBars(selected);
    },
    onEvent(ev: LiveEvent) {
      if (ev.event_type === 'market_data_update') {
        const t = ev.payload as { symbol: string; price: number; bid: number; ask: number; timestamp: string; sequence?: number | string };
        const q = quotes.get(t.symbol);
        const sequence = Number(t.sequence ?? 0);
        const missed = (q?.missed ?? 0) + (q && sequence > q.sequence + 1 ? sequence - q.sequence - 1 : 0);
        quotes.set(t.symbol, {
          sequence,
          missed,
          price: t.price,
          bid: t.bid,
          ask: t.ask,
          time: t.timestamp,
          first: q?.first ?? t.price,
          ticks: (q?.ticks ?? 0) + 1,
        });
        renderQuote(t.symbol);
        addToBar(t.symbol, ms(t.timestamp), t.price);
        if (t.symbol === selected) redraw();
      } else if (ev.event_type === 'prediction_complete') {
        onPrediction(ev.payload as Prediction);
      }
    },
  };
}
