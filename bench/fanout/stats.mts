// The arithmetic of bench/fanout's table: per-repetition figures from raw counters, medians over
// repetitions, gateway/Centrifugo ratios, and the server order of each repetition.

export const SERVERS = ['gateway', 'centrifugo', 'ws'] as const;
export type ServerName = (typeof SERVERS)[number];

/** Repetition r runs the servers in this order: reversed on odd repetitions, so none always goes first (a warm or a cold machine). */
export function serverOrder(rep: number, servers: readonly ServerName[] = SERVERS): ServerName[] {
  return rep % 2 === 0 ? [...servers] : [...servers].reverse();
}

/** The median of the finite values; NaN when there are none. An even count takes the mean of the middle two. */
export function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Value at quantile p (0..1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** a / b, NaN when either is missing or b is 0 (a ratio the run could not measure is printed as such, never as 0 or infinity). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/** Clock ticks of /proc/<pid>/stat (utime + stime) to ms, at the kernel's USER_HZ. */
export function ticksToMs(ticks: number, hz = 100): number {
  return (ticks * 1000) / hz;
}

/** utime + stime in clock ticks from the text of /proc/<pid>/stat (the command name may hold spaces and parentheses). */
export function cpuTicksFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS in bytes from the text of /proc/<pid>/status. */
export function rssFromStatus(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Server CPU ms per 1,000 deliveries. */
export function cpuPer1k(cpuMs: number, delivered: number): number {
  return delivered > 0 ? (cpuMs / delivered) * 1000 : NaN;
}

/** Server CPU µs per published event. */
export function cpuPerEventUs(cpuMs: number, published: number): number {
  return published > 0 ? (cpuMs * 1000) / published : NaN;
}

/** Text cell of a figure: `digits` decimals, '–' for NaN. */
export function cell(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
