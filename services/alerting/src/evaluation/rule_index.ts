import type { Condition, Rule } from '../rules/rule';
import type { Signal } from './signal';

/** Where the evaluator gets the rules a signal could match. */
export interface RuleCandidates {
  /** The enabled rules that could match `signal`, in the order of the rule list. */
  forSignal(signal: Signal): readonly Rule[];
}

type SignalKind = Signal['type'];

/** The rules under one key, each with its place in the rule list. */
class Run {
  readonly rules: Rule[] = [];
  readonly places: number[] = [];

  push(rule: Rule, place: number): void {
    this.rules.push(rule);
    this.places.push(place);
  }
}

const NONE: readonly Rule[] = [];

/**
 * One signal kind's rules, by the key the signal names (its symbol, subject, provider, service).
 * A rule whose key is empty ("any provider", "every equity subject") is kept apart and merged back
 * in list order, not copied under every key: a copy per key would grow with keys times such rules.
 */
class Buckets {
  private readonly keyed = new Map<unknown, Run>();
  private readonly any = new Run();

  /** `wildcard`: an empty key matches every signal (the conditions test it with `key &&`). */
  constructor(private readonly wildcard: boolean) {}

  add(key: unknown, rule: Rule, place: number): void {
    if (this.wildcard && !key) {
      this.any.push(rule, place);
      return;
    }
    let run = this.keyed.get(key);
    if (!run) this.keyed.set(key, (run = new Run()));
    run.push(rule, place);
  }

  get(key: string): readonly Rule[] {
    const run = this.keyed.get(key);
    if (!run) return this.any.rules;
    if (!this.any.rules.length) return run.rules;
    return merge(run, this.any);
  }
}

function merge(a: Run, b: Run): Rule[] {
  const out: Rule[] = [];
  let i = 0;
  let j = 0;
  while (i < a.rules.length && j < b.rules.length) out.push(a.places[i] < b.places[j] ? a.rules[i++] : b.rules[j++]);
  while (i < a.rules.length) out.push(a.rules[i++]);
  while (j < b.rules.length) out.push(b.rules[j++]);
  return out;
}

/**
 * The signal kinds each condition can fire on, and the rule's key there. Each mirrors a test in
 * the evaluator, which still makes every one of them: the index only spares it the rules that
 * cannot pass. A condition type missing here (a row of an older schema) matches nothing, as there.
 */
const FILED: { [T in Condition['type']]: { kind: SignalKind; key: (rule: Rule, c: Extract<Condition, { type: T }>) => unknown }[] } = {
  price_above: [{ kind: 'price', key: (r) => r.symbol }],
  price_below: [{ kind: 'price', key: (r) => r.symbol }],
  percent_move: [{ kind: 'price', key: (r) => r.symbol }],
  prediction_interval_exit: [{ kind: 'price', key: (r) => r.symbol }],
  prediction_crossing: [{ kind: 'prediction', key: (r) => r.symbol }],
  risk_threshold: [
    { kind: 'equity', key: (r) => r.symbol },
    { kind: 'risk_status', key: (r) => r.symbol },
  ],
  risk_status: [{ kind: 'risk_status', key: (r) => r.symbol }],
  rate_limit: [{ kind: 'rate_limit', key: (_, c) => c.provider }],
  provider_status_change: [{ kind: 'provider_status', key: (_, c) => c.provider }],
  data_quality_issue: [{ kind: 'data_quality', key: (r) => r.symbol }],
  system_error: [{ kind: 'system_error', key: (_, c) => c.service }],
};

/** Price and prediction rules name their symbol exactly; the others' empty key means "any". */
const EXACT_KINDS: ReadonlySet<SignalKind> = new Set(['price', 'prediction']);

/** The key a signal is filed under: what the matching rules' key must equal. */
function keyOf(s: Signal): string {
  switch (s.type) {
    case 'price':
    case 'prediction':
    case 'data_quality':
      return s.symbol;
    case 'equity':
    case 'risk_status':
      return s.subject.toUpperCase();
    case 'rate_limit':
    case 'provider_status':
      return s.provider;
    case 'system_error':
      return s.service;
  }
}

/**
 * A rule list filed by the signals each rule could fire on, built once per rule-set change: an event
 * is tried against the rules of its kind and key (a tick for AAPL, AAPL's price rules) instead of
 * every rule, so its cost follows the rules that could match it, not how many rules exist.
 */
export class RuleIndex implements RuleCandidates {
  private readonly buckets = new Map<SignalKind, Buckets>();
  private readonly ids = new Map<string, Rule>();
  private readonly owners = new Map<string, Rule[]>();

  private constructor(readonly rules: readonly Rule[]) {
    rules.forEach((rule, place) => {
      if (!this.ids.has(rule.id)) this.ids.set(rule.id, rule);
      if (rule.user_id) {
        const mine = this.owners.get(rule.user_id);
        if (mine) mine.push(rule);
        else this.owners.set(rule.user_id, [rule]);
      }
      if (!rule.enabled) return;
      const c = rule.condition;
      const filings = (FILED as Record<string, (typeof FILED)[keyof typeof FILED] | undefined>)[c?.type] ?? [];
      for (const { kind, key } of filings) {
        let b = this.buckets.get(kind);
        if (!b) this.buckets.set(kind, (b = new Buckets(!EXACT_KINDS.has(kind))));
        b.add((key as (r: Rule, c: Condition) => unknown)(rule, c), rule, place);
      }
    });
  }

  static build(rules: readonly Rule[]): RuleIndex {
    return new RuleIndex(rules);
  }

  forSignal(signal: Signal): readonly Rule[] {
    return this.buckets.get(signal.type)?.get(keyOf(signal)) ?? NONE;
  }

  /** The rule with this id (the first, should the list hold it twice). */
  rule(id: string): Rule | undefined {
    return this.ids.get(id);
  }

  /** A user's rules, enabled or not, in list order. */
  ownedBy(userId: string): readonly Rule[] {
    return this.owners.get(userId) ?? NONE;
  }
}
