import { z } from 'zod';
import { EVENT_TYPES } from '@marketpulse/runtime';

/** An ISO-8601 time, null when the service has none (proto Timestamp unset). */
export const timestamp = z.string().nullable().default(null).meta({ format: 'date-time' });
/** proto int64 arrives as a string (forceLong=string); REST and tRPC answer with a number. */
export const int64 = z.coerce.number().int();

export const EventType = z.enum(EVENT_TYPES).meta({ id: 'EventType' });

/** Query-string hours window (seed 004 `?hours=`); 0 lets the service default apply. */
export const hoursQuery = z.coerce.number().int().min(1).max(24 * 90).optional().describe('Window in hours (default 24).');
export const limitQuery = (max: number) => z.coerce.number().int().min(1).max(max).optional();

export const Message = z.object({ message: z.string() }).meta({ id: 'Message' });
