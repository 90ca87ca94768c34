import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alertingConfigSchema } from '@marketpulse/alerting';
import { gatewayConfigSchema } from '@marketpulse/gateway';
import { marketDataConfigSchema } from '@marketpulse/market-data';
import { predictionConfigSchema } from '@marketpulse/prediction';
import { providerMonitorConfigSchema } from '@marketpulse/provider-monitor';
import { suitePortsSchema } from '@marketpulse/suite';
import { commonConfigSchema, describeEnv, type EnvVarDoc } from '@marketpulse/runtime';
import { webhookDeliveryConfigSchema } from '@marketpulse/webhook-delivery';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// ENVIRONMENT.md is generated from the config schemas, so it cannot drift from what the
// processes validate at start-up. Regenerate with: UPDATE_DOCS=1 pnpm exec vitest run --config
// tests/vitest.config.ts tests/contract/environment-docs.test.ts
const file = path.join(REPO_ROOT, 'ENVIRONMENT.md');
const common = new Set(describeEnv(commonConfigSchema).map((v) => v.name));

function table(vars: EnvVarDoc[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = vars.map(
    (v) =>
      `| \`${v.name}\` | ${v.default !== undefined ? `\`${cell(v.default)}\`` : v.required ? '(required)' : '(unset)'} | ${cell(v.description)} |`,
  );
  return ['| Variable | Default | Description |', '|---|---|---|', ...rows].join('\n');
}

function render(): string {
  const sections: Array<[string, EnvVarDoc[]]> = [
    ['Every process (runtime)', describeEnv(commonConfigSchema)],
    ['market-data', describeEnv(marketDataConfigSchema).filter((v) => !common.has(v.name))],
    ['prediction', describeEnv(predictionConfigSchema).filter((v) => !common.has(v.name))],
    ['alerting', describeEnv(alertingConfigSchema).filter((v) => !common.has(v.name))],
    ['webhook-delivery', describeEnv(webhookDeliveryConfigSchema).filter((v) => !common.has(v.name))],
    ['provider-monitor', describeEnv(providerMonitorConfigSchema).filter((v) => !common.has(v.name))],
    ['gateway', describeEnv(gatewayConfigSchema).filter((v) => !common.has(v.name))],
    ['one-process suite (scripts/start.sh)', describeEnv(suitePortsSchema)],
  ];
  return [
    '# Environment variables',
    '',
    'Generated from the configuration schemas by `tests/contract/environment-docs.test.ts`; do not edit by hand.',
    'Every process validates its variables at start-up and stops with `CONFIG_INVALID`, naming each bad one.',
    'Every process reads them the same way (`services/runtime/src/config/env_values.ts`): a yes/no variable takes `true`/`false`, `1`/`0` or `yes`/`no` in any case, and nothing else; ports are whole numbers 0..65535.',
    'OpenTelemetry reads the standard `OTEL_*` variables (see the README).',
    '',
    ...sections.flatMap(([title, vars]) => [`## ${title}`, '', table(vars), '']),
  ].join('\n');
}

describe('ENVIRONMENT.md', () => {
  it('documents every variable every process reads, with its default', () => {
    const expected = render();
    if (process.env.UPDATE_DOCS) writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});
