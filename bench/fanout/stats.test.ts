import { describe, expect, it } from 'vitest';
import { cpuPer1k, cpuPerEventUs, cpuTicksFromStat, median, quantile, ratio, rssFromStatus, serverOrder, cell } from './stats.mts';

describe('bench/fanout stats', () => {
  it('takes medians over repetitions, ignoring repetitions that measured nothing', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('gives nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('prints a ratio it cannot measure as missing, not as 0 or infinity', () => {
    expect(ratio(6, 3)).toBe(2);
    expect(cell(ratio(1, 0), 2)).toBe('–');
    expect(cell(ratio(NaN, 2), 2)).toBe('–');
  });

  it('alternates the server order between repetitions', () => {
    expect(serverOrder(0)).toEqual(['gateway', 'centrifugo', 'ws']);
    expect(serverOrder(1)).toEqual(['ws', 'centrifugo', 'gateway']);
    expect(serverOrder(2)).toEqual(serverOrder(0));
  });

  it('reads CPU ticks and RSS from /proc text, a process name with spaces and parentheses included', () => {
    const stat = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 0 0 20 0 11 0 100 1000000 2000';
    expect(cpuTicksFromStat(stat)).toBe(168);
    expect(rssFromStatus('Name:\tnode\nVmRSS:\t  384000 kB\nThreads:\t11\n')).toBe(384000 * 1024);
  });

  it('turns counters into the per-delivery and per-event figures of the table', () => {
    expect(cpuPer1k(500, 100_000)).toBe(5);
    expect(cpuPerEventUs(250, 10_000)).toBe(25);
    expect(cpuPer1k(10, 0)).toBeNaN();
  });
});
