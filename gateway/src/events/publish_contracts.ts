import type { events } from '@marketpulse/proto';
import { EVENT_TIME_MAX_AHEAD_MS, eventTimeProblem, typesWhere, type TypesWhere } from '@marketpulse/runtime';
import { z } from 'zod';

// What outside services may publish (the event catalog's rows with publishApi: true), checked
// against events/v1/portfolio.proto and system.proto. Types produced by the suite's own services
// (ticks, predictions, alerts, ...) are refused, so no caller can impersonate them on the bus.

// At most 18 digits on either side: a 401-digit "decimal" read as Infinity downstream.
const decimal = z.string().regex(/^-?\d{1,18}(\.\d{1,18})?$/, {
  error: 'expected a decimal number as a string with at most 18 digits before and after the point, e.g. "45000.00"',
});
const optionalDecimal = decimal.or(z.literal('')).default('');

/**
 * When it happened: from 1970 to a few minutes past the gateway's clock, as every consumer takes it
 * (EVENT_TIME_MAX_AHEAD_MS). Year 0000 was refused by alerting's store after alerting had acted on
 * it, and a date ahead held every consumer's cooldowns until then.
 */
const happenedAt = z.iso.datetime({ offset: true }).refine(
  (s) => {
    const t = Date.parse(s);
    // A text that is no datetime at all already failed the format check: one message per problem.
    return !Number.isFinite(t) || eventTimeProblem(t, Date.now()) === undefined;
  },
  { error: `must be from 1970-01-01T00:00:00Z to ${EVENT_TIME_MAX_AHEAD_MS / 60_000} minutes past now` },
);

export const PositionUpdate = z
  .strictObject({
    position_id: z.string().min(1, { error: 'expected the position id' }),
    symbol: z.string().min(1, { error: 'expected the symbol, e.g. "BTC/USDT"' }),
    status: z.string().min(1, { error: 'expected "open" or "closed"' }),
    spot_entry_price: optionalDecimal,
    perp_entry_price: optionalDecimal,
    spot_quantity: optionalDecimal,
    perp_quantity: optionalDecimal,
    unrealized_pnl: optionalDecimal,
    funding_collected: optionalDecimal,
  })
  .meta({ id: 'PositionUpdate' });

export const EquityUpdate = z
  .strictObject({ total_equity: decimal, peak_equity: optionalDecimal, current_equity: optionalDecimal })
  .meta({ id: 'EquityUpdate' });

export const RiskStatusUpdate = z
  .strictObject({
    status: z.enum(['normal', 'soft_pause', 'hard_stop']),
    message: z.string().default(''),
    drawdown_pct: optionalDecimal,
    daily_loss_pct: optionalDecimal,
  })
  .meta({ id: 'RiskStatusUpdate' });

export const SystemLog = z
  .strictObject({
    level: z.enum(['INFO', 'WARNING', 'ERROR', 'CRITICAL']),
    module: z.string().default(''),
    message: z.string().min(1, { error: 'expected the log message' }),
    timestamp: happenedAt.optional(),
    service: z.string().default(''),
    trace_id: z.string().default(''),
  })
  .meta({ id: 'SystemLog' });

export const SystemError = z
  .strictObject({
    service: z.string().min(1, { error: 'expected the service that failed' }),
    module: z.string().default(''),
    code: z.string().min(1, { error: 'expected a stable error code' }),
    message: z.string().min(1, { error: 'expected what went wrong' }),
    detail: z.string().default(''),
    timestamp: happenedAt.optional(),
    trace_id: z.string().default(''),
  })
  .meta({ id: 'SystemError' });

const envelope = {
  id: z.string().min(1).max(128).optional().describe('Unique and stable across retries; generated when omitted.'),
  source: z.string().min(1).max(128).optional().describe("Publishing service; the caller's identity when omitted."),
  subject: z.string().min(1).max(256).optional().describe('Kafka key, usually the symbol; defaults to the payload symbol or the source.'),
  time: happenedAt.optional().describe('When it happened (from 1970 to 5 minutes past now); now when omitted.'),
  owner: z
    .string()
    .min(1, { error: 'expected the user id the event belongs to; omit owner for an event every reader may see' })
    .max(128)
    .optional()
    .describe(
      "The user it belongs to (1-128 characters, no control characters): only that user and operators receive it. The caller's own user id needs only publish; another user's needs publish:any-owner. position_update, equity_update, risk_status_update and system_error may be owned; system_log may not. A system event when omitted.",
    ),
};

type PublishType = TypesWhere<'publishApi'>;

/**
 * The payload contract of each type the publish API takes, the one schema per type that both
 * doors check a payload against: gRPC within PublishEvent, REST/tRPC on its own (checkPayload),
 * the route's input having checked the envelope.
 */
export const PAYLOAD_CONTRACTS = {
  position_update: PositionUpdate,
  equity_update: EquityUpdate,
  risk_status_update: RiskStatusUpdate,
  system_log: SystemLog,
  system_error: SystemError,
} as const satisfies Record<PublishType, z.ZodType>;

const eventOf = <T extends PublishType>(type: T) => z.strictObject({ ...envelope, type: z.literal(type), data: PAYLOAD_CONTRACTS[type] });

/** One whole event, envelope and payload: what the gRPC door checks (checkWholeEvent). */
export const PublishEvent = z
  .discriminatedUnion('type', [
    eventOf('position_update'),
    eventOf('equity_update'),
    eventOf('risk_status_update'),
    eventOf('system_log'),
    eventOf('system_error'),
  ])
  .meta({ id: 'PublishEvent' });

export type PublishEventInput = z.output<typeof PublishEvent>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compiles only while PublishEvent has a contract for exactly the catalog's publishApi types. */
export type PublishTypesMatchCatalog = Assert<Same<PublishEventInput['type'], TypesWhere<'publishApi'>>>;

/**
 * The REST body of one event, the publish route's input: it checks the envelope and the type; the
 * payload only has to be an object here and is checked once, against its type's contract, by the
 * publisher (checkPayload), which names the offending field as PublishEvent would.
 */
export const PublishEventBody = z
  .object({
    ...envelope,
    type: z.enum(typesWhere('publishApi')),
    data: z
      .record(z.string(), z.unknown())
      .describe('The payload, shaped by type: PositionUpdate, EquityUpdate, RiskStatusUpdate, SystemLog or SystemError (see components).'),
  })
  .meta({ id: 'PublishEventBody' });

export type PublishEventBodyOutput = z.output<typeof PublishEventBody>;

/** Payload contracts listed in the OpenAPI document's components. */
export const PAYLOAD_SCHEMAS = { PositionUpdate, EquityUpdate, RiskStatusUpdate, SystemLog, SystemError };

export interface PublishOptions {
  /** The caller may name any user as an event's owner (the publish:any-owner scope); else only itself. */
  readonly anyOwner?: boolean;
}

/** One invalid field of an event, named within the event (`data.total_equity`, `owner`). */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * What is left to check of one item where it entered the gateway: the event as published, or its
 * invalid fields. Each door hands the publisher its own (publish/entry_checks.ts), so nothing is
 * checked twice.
 */
export type EntryCheck<T> = (item: T) => { ok: true; event: PublishEventInput } | { ok: false; issues: FieldIssue[] };

/**
 * Validates events against these contracts and puts them on the bus, all or nothing: publish/
 * implements it (createEventPublisher), the REST/tRPC publish procedure and the gRPC publish API
 * are handed one.
 */
export interface EventPublisher {
  /**
   * `check` completes each item's validation (checkWholeEvent for raw PublishEvent JSON,
   * checkPayload for a body the route's input checked); resolves with the events as accepted. An
   * item's `owner` may name the caller itself; another user only when `options.anyOwner` (the
   * publish:any-owner scope).
   */
  publish<T>(items: readonly T[], check: EntryCheck<T>, callerIdentity: string, options?: PublishOptions): Promise<events.Event[]>;
}
