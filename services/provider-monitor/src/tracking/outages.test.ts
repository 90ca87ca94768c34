import { describe, expect, it } from 'vitest';
import { outagesFrom, type StatusTransition } from './outages';

const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, s)).toISOString();
const t = (s: number, provider: string, old_status: string, new_status: string): StatusTransition => ({
  timestamp: at(s),
  provider,
  old_status,
  new_status,
});

describe('outagesFrom', () => {
  it('pairs each transition to offline with the next transition away from it, newest first', () => {
    const history = [
      t(50, 'B', 'online', 'offline'),
      t(40, 'A', 'offline', 'online'),
      t(30, 'A', 'online', 'degraded'),
      t(20, 'A', 'degraded', 'offline'),
      t(10, 'A', 'online', 'degraded'),
    ];
    expect(outagesFrom(history, Date.parse(at(60)))).toEqual([
      { provider: 'B', started_at: at(50), ended_at: undefined, duration_seconds: 10, previous_status: 'online' },
      { provider: 'A', started_at: at(20), ended_at: at(30), duration_seconds: 10, previous_status: 'degraded' },
    ]);
  });

  it('keeps one outage open across a repeated transition to offline and leaves out outages that began before the history', () => {
    const history = [
      t(25, 'A', 'offline', 'online'),
      t(15, 'A', 'degraded', 'offline'),
      t(10, 'A', 'online', 'offline'),
      t(0, 'A', 'offline', 'online'),
    ];
    expect(outagesFrom(history)).toEqual([
      { provider: 'A', started_at: at(10), ended_at: at(25), duration_seconds: 15, previous_status: 'online' },
    ]);
  });

  it('has no outages without a transition to offline', () => {
    expect(outagesFrom([t(5, 'A', 'degraded', 'online'), t(0, 'A', 'online', 'degraded')])).toEqual([]);
  });
});
