import { alertingConfigSchema } from '@marketpulse/alerting';
import { gatewayConfigSchema } from '@marketpulse/gateway';
import { marketDataConfigSchema } from '@marketpulse/market-data';
import { predictionConfigSchema } from '@marketpulse/prediction';
import { providerMonitorConfigSchema } from '@marketpulse/provider-monitor';
import { commonConfigSchema } from '@marketpulse/runtime';
import { webhookDeliveryConfigSchema } from '@marketpulse/webhook-delivery';
import { describe, expect, it } from 'vitest';

// A yes/no variable reads the same in every process: an operator who writes ALERT_SYSTEM_RULES=no
// or WS_AUTH_REQUIRED=YES gets what WEBHOOK_ALLOW_LOOPBACK=no would give, and a spelling one
// process refuses every process refuses.

/** What the test needs of a zod schema (the tests package does not depend on zod). */
interface Field {
  safeParse(input: unknown): { success: true; data: unknown } | { success: false; error: { issues: Array<{ message: string }> } };
}
interface Schema {
  shape: Record<string, unknown>;
}

const schemas: Record<string, Schema> = {
  runtime: commonConfigSchema,
  'market-data': marketDataConfigSchema,
  prediction: predictionConfigSchema,
  alerting: alertingConfigSchema,
  'webhook-delivery': webhookDeliveryConfigSchema,
  'provider-monitor': providerMonitorConfigSchema,
  gateway: gatewayConfigSchema,
};

const READS: Array<[string, boolean]> = [
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
  ['TRUE', true],
  ['No', false],
];
const REFUSED = ['on', 'maybe', ''];

/** The variables of a schema whose default is a boolean. */
function booleanVariables(schema: Schema): Array<[string, Field]> {
  return Object.entries(schema.shape as Record<string, Field>).filter(([, field]) => {
    const fallback = field.safeParse(undefined);
    return fallback.success && typeof fallback.data === 'boolean';
  });
}

describe('yes/no variables', () => {
  const all = Object.entries(schemas).flatMap(([process, schema]) =>
    booleanVariables(schema).map(([name, field]) => ({ process, name, field })),
  );

  it('exist in several processes (the test reads them all)', () => {
    expect(new Set(all.map((v) => v.process)).size).toBeGreaterThanOrEqual(4);
  });

  it('read every accepted spelling the same in every process', () => {
    const wrong: string[] = [];
    for (const { process, name, field } of all) {
      for (const [text, value] of READS) {
        const r = field.safeParse(text);
        if (!r.success || r.data !== value) wrong.push(`${process} ${name}=${text}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuse any other spelling with the same message in every process', () => {
    const wrong: string[] = [];
    for (const { process, name, field } of all) {
      for (const text of REFUSED) {
        const r = field.safeParse(text);
        const message = r.success ? 'accepted' : r.error.issues[0]?.message;
        if (message !== 'expected true or false (or 1/0, yes/no)') wrong.push(`${process} ${name}=${text}: ${message}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
