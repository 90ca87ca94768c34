import { counter } from '@marketpulse/runtime';

/** Alerting's evaluation of the event stream: what was evaluated and what fired. */
export interface AlertMetrics {
  /** One signal (price tick, prediction, provider event, ...) evaluated; `rules`: those whose condition it was checked against. */
  evaluated(signalType: string, rules: number): void;
  /** One alert stored and published. */
  triggered(severity: string, condition: string): void;
}

export function alertMetrics(): AlertMetrics {
  const evaluations = counter<'signal'>({
    name: 'marketpulse_alert_evaluations_total',
    help: 'Signals from the event stream evaluated against the enabled alert rules, by signal type.',
    labelNames: ['signal'],
  });
  const ruleEvaluations = counter({
    name: 'marketpulse_alert_rule_evaluations_total',
    help: 'Rule evaluations: the enabled rules whose condition a signal was checked against, only those its kind and symbol (subject, provider, service) could match.',
  });
  const triggers = counter<'severity' | 'condition'>({
    name: 'marketpulse_alert_triggers_total',
    help: 'Alerts triggered (stored and published as alert_triggered), by severity and condition type.',
    labelNames: ['severity', 'condition'],
  });
  return {
    evaluated(signal, rules) {
      evaluations.inc({ signal });
      if (rules > 0) ruleEvaluations.inc(rules);
    },
    triggered: (severity, condition) => triggers.inc({ severity, condition }),
  };
}
