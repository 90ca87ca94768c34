/**
 * Remembers when each (rule, subject) pair last fired, so a condition that stays true fires once per
 * cooldown instead of on every event.
 */
export class Cooldowns {
  private readonly lastFired = new Map<string, number>();

  private static key(ruleId: string, subject: string): string {
    return `${ruleId}\u0000${subject}`;
  }

  /** True when the pair may fire at `now` (it never fired, or its cooldown has passed). */
  ready(ruleId: string, subject: string, cooldownSeconds: number, now: number): boolean {
    const last = this.lastFired.get(Cooldowns.key(ruleId, subject));
    return last === undefined || now - last >= cooldownSeconds * 1000;
  }

  markFired(ruleId: string, subject: string, at: number): void {
    const key = Cooldowns.key(ruleId, subject);
    const prev = this.lastFired.get(key);
    if (prev === undefined || at > prev) this.lastFired.set(key, at);
  }

  /** Forget a rule, e.g. after it was deleted or its condition changed. */
  forget(ruleId: string): void {
    for (const key of this.lastFired.keys()) if (key.startsWith(`${ruleId}\u0000`)) this.lastFired.delete(key);
  }
}
