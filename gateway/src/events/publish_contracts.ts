import type { events } from '@marketpulse/proto';
import { typesWhere, type TypesWhere } from '@marketpulse/runtime';
import { z } from 'zod';

// What outside services may publish (the event catalog's rows with publishApi: true), checked
// against events/v1/portfolio.proto and system.proto. Types produced by the suite's own services
// (ticks, predictions, alerts, ...) are refused, so no caller can impersonate them on the bus.

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, { error: 'expected a decimal number as a string, e.g. "45000.00"' });
const optionalDecimal = decimal.or(z.literal('')).default('');

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
    timestamp: z.iso.datetime({ offset: true }).optional(),
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
    timestamp: z.iso.datetime({ offset: true }).optional(),
    trace_id: z.string().default(''),
  })
  .meta({ id: 'SystemError' });

const envelope = {
  id: z.string().min(1).max(128).optional().describe('Unique and stable across retries; generated when omitted.'),
  source: z.string().min(1).max(128).optional().describe("Publishing service; the caller's identity when omitted."),
  subject: z.string().min(1).max(256).optional().describe('Kafka key, usually the symbol; defaults to the payload symbol or the source.'),
  time: z.iso.datetime({ offset: true }).optional().describe('When it happened; now when omitted.'),
  owner: z
    .string()
    .min(1, { error: 'expected the user id the event belongs to; omit owner for an event every reader may see' })
    .max(128)
    .optional()
    .describe(
      "The user it belongs to (1-128 characters, no control characters): only that user and operators receive it. The caller's own user id needs only publish; another user's needs publish:any-owner. position_update, equity_update, risk_status_update and system_error may be owned; system_log may not. A system event when omitted.",
    ),
};

export const PublishEvent = z
  .discriminatedUnion('type', [
    z.strictObject({ ...envelope, type: z.literal('position_update'), data: PositionUpdate }),
    z.strictObject({ ...envelope, type: z.literal('equity_update'), data: EquityUpdate }),
    z.strictObject({ ...envelope, type: z.literal('risk_status_update'), data: RiskStatusUpdate }),
    z.strictObject({ ...envelope, type: z.literal('system_log'), data: SystemLog }),
    z.strictObject({ ...envelope, type: z.literal('system_error'), data: SystemError }),
  ])
  .meta({ id: 'PublishEvent' });

export type PublishEventInput = z.output<typeof PublishEvent>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compiles only while PublishEvent has a contract for exactly the catalog's publishApi types. */
export type PublishTypesMatchCatalog = Assert<Same<PublishEventInput['type'], TypesWhere<'publishApi'>>>;

/**
 * The REST body of one event. The payload is checked against its type's contract by the publisher
 * (PublishEvent), which names the offending field; this outer shape only has to be an object.
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

/** Payload contracts listed in the OpenAPI document's components. */
export const PAYLOAD_SCHEMAS = { PositionUpdate, EquityUpdate, RiskStatusUpdate, SystemLog, SystemError };

export interface PublishOptions {
  /** The caller may name any user as an event's owner (the publish:any-owner scope); else only itself. */
  readonly anyOwner?: boolean;
}

/**
 * Validates events against these contracts and puts them on the bus, all or nothing: publish/
 * implements it (createEventPublisher), the REST/tRPC publish procedure and the gRPC publish API
 * are handed one.
 */
export interface EventPublisher {
  /**
   * `raw` items are PublishEvent JSON; resolves with the events as accepted. An item's `owner` may
   * name the caller itself; another user only when `options.anyOwner` (the publish:any-owner scope).
   */
  publish(raw: unknown[], callerIdentity: string, options?: PublishOptions): Promise<events.Event[]>;
}
