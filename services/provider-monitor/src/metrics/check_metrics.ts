import { counter } from '@marketpulse/runtime';

/** Counts the health checks by provider and outcome (success, failed, timeout, rate_limited). */
export function providerCheckMetrics(): (provider: string, outcome: string) => void {
  const checks = counter<'provider' | 'outcome'>({
    name: 'marketpulse_provider_checks_total',
    help: 'Health checks of upstream providers, by provider and outcome (success, failed, timeout, rate_limited).',
    labelNames: ['provider', 'outcome'],
  });
  return (provider, outcome) => checks.inc({ provider, outcome });
}
