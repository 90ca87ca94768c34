import { alerting, type webhooks } from '@marketpulse/proto';
import { validationError } from '../errors';

/** The seed's webhook shape: the secret appears only when the service returned one (creation). */
export function webhookOut(e: webhooks.Endpoint | undefined) {
  if (!e) throw new Error('webhook-delivery answered without an endpoint');
  const { secret, ...rest } = e;
  return secret ? { ...rest, secret } : rest;
}

/** `{ $case: 'price_above', price_above: {...} }` (ts-proto oneof) as `{ price_above: {...} }`. */
export function conditionOut(condition: alerting.RuleCondition | undefined): Record<string, Record<string, unknown>> {
  const kind = condition?.kind as { $case: string } | undefined;
  if (!kind) return {};
  return { [kind.$case]: (kind as unknown as Record<string, Record<string, unknown>>)[kind.$case] ?? {} };
}

/**
 * `{ prediction_crossing: { level: 150 } }` as the contract's RuleCondition. Built with fromPartial,
 * so a field the REST schema lets a caller leave out (a direction, a horizon, a risk limit) is its
 * proto default: left undefined, grpc-js refused to encode the request and the caller got a 500.
 */
export function conditionIn(condition: Record<string, unknown>): alerting.RuleCondition {
  const entry = Object.entries(condition).find(([, v]) => v !== undefined);
  if (!entry) return alerting.RuleCondition.fromPartial({});
  const [kind, value] = entry;
  return alerting.RuleCondition.fromPartial({ kind: { $case: kind, [kind]: value } as unknown as alerting.RuleCondition['kind'] });
}

export function ruleOut(rule: alerting.Rule | undefined) {
  if (!rule) throw new Error('alerting answered without a rule');
  return { ...rule, condition: conditionOut(rule.condition) };
}

/**
 * Field names present in a PATCH body: the FieldMask sent to the service. An empty mask would mean
 * "every field" to the service (and reset the ones not sent), so an empty body is refused.
 */
export function maskOf(body: Record<string, unknown>): string[] {
  const mask = Object.keys(body).filter((k) => body[k] !== undefined);
  if (mask.length === 0) throw validationError([{ field: '(body)', message: 'send at least one field to change' }]);
  return mask;
}
