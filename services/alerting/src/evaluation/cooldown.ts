import { RuleSubjectState } from './rule_subject_state';

/**
 * Remembers when each (rule, subject) pair last fired, so a condition that stays true fires once per
 * cooldown instead of on every event.
 */
export class Cooldowns {
  private readonly lastFired = new RuleSubjectState<number>();

  /** True when the pair may fire at `now` (it never fired, or its cooldown has passed). */
  ready(ruleId: string, subject: string, cooldownSeconds: number, now: number): boolean {
    const last = this.lastFiredAt(ruleId, subject);
    return last === undefined || now - last >= cooldownSeconds * 1000;
  }

  lastFiredAt(ruleId: string, subject: string): number | undefined {
    return this.lastFired.get(ruleId, subject);
  }

  /** Returns what the pair held before, for `restore`. */
  markFired(ruleId: string, subject: string, at: number): number | undefined {
    const prev = this.lastFired.get(ruleId, subject);
    if (prev === undefined || at > prev) this.lastFired.set(ruleId, subject, at);
    return prev;
  }

  /** Puts back what `markFired` returned. */
  restore(ruleId: string, subject: string, prev: number | undefined): void {
    if (prev === undefined) this.lastFired.delete(ruleId, subject);
    else this.lastFired.set(ruleId, subject, prev);
  }

  /** Forget a rule, e.g. after it was deleted or its condition changed. */
  forget(ruleId: string): void {
    this.lastFired.forgetRule(ruleId);
  }

  /** Pairs held (tests). */
  get size(): number {
    return this.lastFired.size;
  }
}
