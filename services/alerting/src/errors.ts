import * as grpc from '@grpc/grpc-js';
import { errorDomain } from '@marketpulse/runtime';

/** alerting's one table of reasons (domain `marketpulse.alerting`); clients switch on these. */
export const alertingErrors = errorDomain('marketpulse.alerting', {
  /** A rule, query or acknowledgement field is invalid; BadRequest names it. */
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  /** The rule or alert does not exist or is not the caller's. */
  NOT_FOUND: grpc.status.NOT_FOUND,
  /** The user has ALERT_MAX_RULES_PER_USER rules; `max_rules` says how many. */
  TOO_MANY_RULES: grpc.status.RESOURCE_EXHAUSTED,
});

export type AlertingReason = keyof typeof alertingErrors.reasons;

/** INVALID_ARGUMENT; `field` (a dotted request path) becomes the BadRequest violation. */
export const invalid = (message: string, field?: string) =>
  alertingErrors('INVALID_ARGUMENT', message, field ? { violations: [{ field, description: message }] } : {});
export const notFound = (message: string) => alertingErrors('NOT_FOUND', message);
export const tooManyRules = (max: number) =>
  alertingErrors(
    'TOO_MANY_RULES',
    `you have ${max} alert rules, the most one user may have; delete or change one instead of adding another`,
    {
      metadata: { max_rules: String(max) },
    },
  );
