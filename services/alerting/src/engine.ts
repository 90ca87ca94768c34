import { EventEmitter } from 'node:events';
import { events as ev } from '@marketpulse/proto';
import type { Bus, DeliveredEvent, Logger, Subscription } from '@marketpulse/runtime';
import { alertFromFiring, riskEventId } from './alert_record';
import { RuleEvaluator } from './evaluation/evaluator';
import { RuleIndex } from './evaluation/rule_index';
import { WATCHED_EVENT_TYPES, signalFromEvent } from './evaluation/signal_from_event';
import { alertTriggeredEvent, riskStatusEvent } from './published_events';
import { needsSymbol, type Rule } from './rules/rule';
import type { AlertRecord, AlertStore, OutboxEntry } from './store/alert_store';
import { alertMetrics } from './metrics/alert_metrics';
import type { RuleStore } from './store/rule_store';
import type { KnownSymbols } from './symbols';
import {
  activeTraceparent,
  classifyFailure,
  inTraceOf,
  ownerAllows,
  ownerOfEvent,
  runsByTrace,
  unprocessableRecord,
} from '@marketpulse/runtime';

/** Store failures of no known kind retried (while the store reports healthy) before the event is set aside. */
const UNKNOWN_FAILURE_ATTEMPTS = 5;
const NO_RULES = RuleIndex.build([]);

export interface AlertEngineOptions {
  bus: Bus;
  rules: RuleStore;
  alerts: AlertStore;
  symbols: KnownSymbols;
  logger: Logger;
  /** This service's name: the events' source, and how it recognises its own risk updates. */
  source: string;
  groupId: string;
  fromBeginning: boolean;
  defaultCooldownSeconds: number;
  /** How often rules are re-read, so rules changed through another instance take effect. */
  ruleRefreshMs: number;
  /** How often events left in the outbox (the bus was away) are retried. */
  outboxRetryMs: number;
  /** The alert store answers: an event that fails while it does not is never dead-lettered. */
  storeHealthy?: () => Promise<boolean>;
}

/**
 * Consumes the event stream, evaluates the enabled rules each event could match, stores the alerts and publishes
 * `alert_triggered` / `risk_status_update` through a transactional outbox: an event's offset is
 * committed only after its alerts are stored, and stored alerts are always announced eventually.
 */
export class AlertEngine {
  private readonly evaluator: RuleEvaluator;
  private readonly metrics = alertMetrics();
  private rules: Rule[] = [];
  /** `rules` filed by what they watch; rebuilt whenever `rules` is replaced, never per event. */
  private index = RuleIndex.build([]);
  /** Owner -> the index of their rules, for owned events; built on an owner's first, dropped with `index`. */
  private ownerIndexes = new Map<string, RuleIndex>();
  /** The stored rule set `rules` was last read from (RuleStore.fingerprint). */
  private fingerprint: string | undefined;
  private subscription: Subscription | undefined;
  private timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private stopped = false;
  /** Emits 'alert' (AlertRecord) for every newly stored alert. */
  readonly feed = new EventEmitter();

  constructor(private readonly o: AlertEngineOptions) {
    this.evaluator = new RuleEvaluator({ defaultCooldownSeconds: o.defaultCooldownSeconds });
    this.feed.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.reloadRules();
    // A restart must not re-fire what fired just before it: seed cooldowns from history.
    for (const r of this.rules) {
      if (r.last_triggered_at && needsSymbol(r.condition.type)) {
        this.evaluator.cooldowns.markFired(r.id, r.symbol, Date.parse(r.last_triggered_at));
      }
    }
    this.subscription = await this.o.bus.subscribe({
      groupId: this.o.groupId,
      types: [...WATCHED_EVENT_TYPES],
      fromBeginning: this.o.fromBeginning,
      handler: (d) => this.handle(d),
      healthy: this.o.storeHealthy,
    });
    this.timers.push(
      setInterval(
        () => void this.reloadRules().catch((err) => this.o.logger.warn({ err: String(err) }, 'rule refresh failed')),
        this.o.ruleRefreshMs,
      ),
    );
    this.timers.push(setInterval(() => void this.flushOutbox(), this.o.outboxRetryMs));
    for (const t of this.timers) t.unref();
    void this.flushOutbox();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.subscription?.close();
    this.subscription = undefined;
    await this.flushing;
  }

  /** Applies a rule change made through this instance at once. */
  ruleChanged(rule: Rule | undefined, id: string): void {
    this.evaluator.forgetRule(id);
    const rules = this.rules.filter((r) => r.id !== id);
    if (rule) rules.push(rule);
    this.setRules(rules);
  }

  private setRules(rules: Rule[]): void {
    this.rules = rules;
    this.index = RuleIndex.build(rules);
    this.ownerIndexes.clear();
  }

  /**
   * Re-reads the rules when the stored set changed (another instance's writes, or this one's) and
   * not otherwise: an unchanged set is one short query, not every rule parsed and indexed again. A
   * change between the fingerprint and the read only costs one more read next time.
   */
  private async reloadRules(): Promise<void> {
    const fingerprint = await this.o.rules.fingerprint();
    if (fingerprint === this.fingerprint) return;
    const fresh = await this.o.rules.listAll();
    this.fingerprint = fingerprint;
    const before = new Map(this.rules.map((r) => [r.id, r.updated_at]));
    for (const r of fresh) {
      const prev = before.get(r.id);
      before.delete(r.id);
      if (prev !== undefined && prev !== r.updated_at) this.evaluator.forgetRule(r.id);
    }
    // Deleted through another instance: its state would otherwise stay for good.
    for (const gone of before.keys()) this.evaluator.forgetRule(gone);
    this.setRules(fresh);
  }

  /**
   * The rules an event is evaluated for: all of them for a system event; for an owned one (one
   * account's equity or risk status, published with an owner) only its owner's, by the one
   * visibility rule: another user's rule, or a system rule whose alert every reader sees, would
   * pass the owner's figures on to others.
   */
  private rulesThatMaySee(event: ev.Event): RuleIndex {
    const owner = ownerOfEvent(event);
    if (!owner) return this.index;
    let mine = this.ownerIndexes.get(owner);
    if (mine) return mine;
    // Only a user's own rules can pass the visibility rule (system rules have no user).
    const visible = this.index.ownedBy(owner).filter((r) => ownerAllows(owner, { userId: r.user_id || undefined, operator: false }));
    // Kept only for owners with rules: an owner is the publisher's choice, and one without rules costs nothing to answer.
    if (!visible.length) return NO_RULES;
    mine = RuleIndex.build(visible);
    this.ownerIndexes.set(owner, mine);
    return mine;
  }

  private async handle(d: DeliveredEvent): Promise<void> {
    const signal = signalFromEvent(d.event, this.o.source);
    if (!signal) return;
    if (signal.type === 'price') this.o.symbols.note(signal.symbol);
    const result = this.evaluator.evaluate(signal, this.rulesThatMaySee(d.event));
    this.metrics.evaluated(signal.type, result.rulesTried);
    if (!result.firings.length && !result.riskChanges.length) return;

    const records: AlertRecord[] = result.firings.map((f) => alertFromFiring(f, d.event.id));
    const outbox: OutboxEntry[] = [
      ...records.map((a) => toOutbox(alertTriggeredEvent(a, this.o.source))),
      ...result.riskChanges.map((c) => toOutbox(riskStatusEvent(c, riskEventId(c, d.event.id), this.o.source))),
    ];
    let fresh: AlertRecord[];
    try {
      fresh = await this.recordUntilStored(records, outbox);
    } catch (err) {
      // Not stored, so not acted on: a hard stop whose alert the database refused left the rule in
      // hard stop (and its cooldown running) with nothing recorded or published to say so.
      result.undo();
      throw err;
    }
    for (const a of fresh) {
      this.o.logger.info(
        { event: 'alert.triggered', alert_id: a.id, rule_id: a.rule_id, severity: a.severity, symbol: a.symbol, provider: a.provider },
        `alert: ${a.message}`,
      );
      this.metrics.triggered(a.severity, a.condition);
      const rule = this.index.rule(a.rule_id);
      if (rule) rule.last_triggered_at = a.timestamp;
      this.feed.emit('alert', a);
    }
    await this.flushOutbox();
  }

  /**
   * The evaluator has already moved on (cooldowns, crossings), so a redelivered event would not fire
   * again: keep trying to store while the database is away, holding the event's offset uncommitted.
   * Only a stop gives up, and then the next consumer re-evaluates from fresh state. Alerts the
   * database refuses for their content (text from the event it cannot hold, such as NUL) can never
   * be stored: the event goes to the dead-letter topic at once instead of stalling the stream.
   */
  private async recordUntilStored(records: AlertRecord[], outbox: OutboxEntry[]): Promise<AlertRecord[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.o.alerts.record(records, outbox);
      } catch (err) {
        const kind = classifyFailure(err);
        const storeUp =
          kind === 'unknown' && attempt >= UNKNOWN_FAILURE_ATTEMPTS && (await this.o.storeHealthy?.().catch(() => false)) !== false;
        if (kind === 'poison' || storeUp) {
          throw unprocessableRecord(
            'ALERT_NOT_STORABLE',
            'the alerts this event raised could not be stored (a value the alert store refuses, e.g. a control character)',
            err,
          );
        }
        if (this.stopped) throw err;
        this.o.logger.warn({ err: String(err), attempt, alerts: records.length }, 'storing alerts failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  /** Publishes what the outbox holds; a failure leaves it there for the next attempt. */
  flushOutbox(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.flushAgain = false;
        try {
          const pending = await this.o.alerts.pendingOutbox(500);
          if (!pending.length) break;
          // Each event continues the trace of the event that raised it, whichever round publishes it.
          for (const run of runsByTrace(pending)) {
            await inTraceOf(run[0].traceparent, () => this.o.bus.publish(run.map((p) => ev.Event.decode(Buffer.from(p.event, 'base64')))));
            await this.o.alerts.removeFromOutbox(run.map((p) => p.id));
          }
          if (pending.length === 500) this.flushAgain = true;
        } catch (err) {
          this.o.logger.warn({ err: String(err) }, 'publishing alerts failed; they stay in the outbox and are retried');
          break;
        }
      } while (this.flushAgain);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }
}

function toOutbox(e: ev.Event): OutboxEntry {
  return { id: e.id, event: Buffer.from(ev.Event.encode(e).finish()).toString('base64'), traceparent: activeTraceparent() };
}
