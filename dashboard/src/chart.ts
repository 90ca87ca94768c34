export interface Bar {
  /** Start of the bar, ms since the epoch. */
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface Forecast {
  /** When it was made and the time it is for, ms since the epoch. */
  madeAt: number;
  target: number;
  from: number;
  price: number;
  lower: number;
  upper: number;
}

const BANDS_SHOWN = 4;
const COLORS = { up: '#1a9f6b', down: '#d1495b', band: 'rgba(80, 120, 220, 0.13)', forecast: '#4f6fd8', grid: '#e4e7ec', text: '#5b6473' };

/**
 * Candles of one symbol with its forecasts drawn over the price: each forecast's interval as a
 * shaded band from when it was made to its target time, the predicted price as a dashed line.
 */
export function drawChart(canvas: HTMLCanvasElement, bars: readonly Bar[], forecasts: readonly Forecast[], barMs: number): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 260;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  if (bars.length === 0) {
    ctx.fillStyle = COLORS.text;
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText('waiting for ticks…', 12, height / 2);
    return;
  }
  const pad = { left: 8, right: 64, top: 10, bottom: 20 };
  const t0 = bars[0]!.t;
  // The latest few forecasts: older bands would only darken the picture.
  const shown = forecasts.filter((f) => f.target > t0).slice(-BANDS_SHOWN);
  const t1 = Math.max(bars[bars.length - 1]!.t + barMs, ...shown.map((f) => f.target));
  let lo = Math.min(...bars.map((b) => b.low), ...shown.map((f) => f.lower));
  let hi = Math.max(...bars.map((b) => b.high), ...shown.map((f) => f.upper));
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const x = (t: number) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (p: number) => pad.top + ((hi - p) / (hi - lo)) * (height - pad.top - pad.bottom);

  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.text;
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const p = lo + ((hi - lo) * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, y(p));
    ctx.lineTo(width - pad.right, y(p));
    ctx.stroke();
    ctx.fillText(p.toFixed(2), width - pad.right + 6, y(p) + 4);
  }
  ctx.fillText(new Date(t0).toLocaleTimeString([], { hour12: false }), pad.left, height - 5);
  const endLabel = new Date(t1).toLocaleTimeString([], { hour12: false });
  ctx.fillText(endLabel, width - pad.right - ctx.measureText(endLabel).width, height - 5);

  for (const f of shown) {
    const from = Math.max(f.madeAt, t0);
    ctx.fillStyle = COLORS.band;
    ctx.beginPath();
    ctx.moveTo(x(from), y(f.from));
    ctx.lineTo(x(f.target), y(f.upper));
    ctx.lineTo(x(f.target), y(f.lower));
    ctx.closePath();
    ctx.fill();
  }
  const latest = shown[shown.length - 1];
  if (latest) {
    ctx.strokeStyle = COLORS.forecast;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x(Math.max(latest.madeAt, t0)), y(latest.from));
    ctx.lineTo(x(latest.target), y(latest.price));
    ctx.stroke();
    ctx.setLineDash([]);
  }

  const slot = (width - pad.left - pad.right) * (barMs / Math.max(1, t1 - t0));
  const body = Math.max(1, slot * 0.7);
  for (const b of bars) {
    const color = b.close >= b.open ? COLORS.up : COLORS.down;
    const cx = x(b.t + barMs / 2);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(cx, y(b.high));
    ctx.lineTo(cx, y(b.low));
    ctx.stroke();
    const top = y(Math.max(b.open, b.close));
    ctx.fillRect(cx - body / 2, top, body, Math.max(1, y(Math.min(b.open, b.close)) - top));
  }
}
