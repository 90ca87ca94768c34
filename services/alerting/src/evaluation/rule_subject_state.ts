import { OrderedMap } from '@marketpulse/runtime';

/**
 * Subjects one rule keeps state for (cooldowns, risk status, percent-move excursions); past it the
 * subject touched longest ago is forgotten. A subject is the publisher's choice (an equity account,
 * a system error's `service|code`), so without a bound one publisher sending new subjects grew
 * alerting's memory for good (a helper: 2,000 system errors with 8,000-character codes, +31 MB of
 * heap that never came back). A forgotten subject is a fresh one: its next crossing or error can
 * alert again before its cooldown would have let it.
 */
export const SUBJECTS_PER_RULE = 10_000;

/** State per (rule, subject), indexed by rule so forgetting one rule does not scan every other's. */
export class RuleSubjectState<V> {
  private readonly rules = new Map<string, OrderedMap<string, V>>();

  constructor(private readonly subjectsPerRule = SUBJECTS_PER_RULE) {}

  get(ruleId: string, subject: string): V | undefined {
    return this.rules.get(ruleId)?.get(subject);
  }

  /** Sets the value and makes the subject the rule's newest. */
  set(ruleId: string, subject: string, value: V): void {
    let subjects = this.rules.get(ruleId);
    if (!subjects) this.rules.set(ruleId, (subjects = new OrderedMap()));
    subjects.set(subject, value);
    if (subjects.size > this.subjectsPerRule) subjects.delete(subjects.oldestKey()!);
  }

  delete(ruleId: string, subject: string): void {
    const subjects = this.rules.get(ruleId);
    if (!subjects?.delete(subject)) return;
    if (subjects.size === 0) this.rules.delete(ruleId);
  }

  forgetRule(ruleId: string): void {
    this.rules.delete(ruleId);
  }

  /** Subjects held over every rule (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const subjects of this.rules.values()) n += subjects.size;
    return n;
  }
}
