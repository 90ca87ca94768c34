import { status as GrpcStatus } from '@grpc/grpc-js';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError, STATUS_TABLE, toApiError } from './errors';

describe('the error table', () => {
  it('gives every gRPC status one HTTP status, and the edge statuses the usual ones', () => {
    const statuses = Object.values(GrpcStatus).filter((v): v is number => typeof v === 'number');
    expect(
      Object.keys(STATUS_TABLE)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(statuses.sort((a, b) => a - b));
    expect(STATUS_TABLE[GrpcStatus.NOT_FOUND].http).toBe(404);
    expect(STATUS_TABLE[GrpcStatus.UNAVAILABLE].http).toBe(503);
    expect(STATUS_TABLE[GrpcStatus.UNAUTHENTICATED].http).toBe(401);
    expect(STATUS_TABLE[GrpcStatus.PERMISSION_DENIED].http).toBe(403);
    expect(STATUS_TABLE[GrpcStatus.RESOURCE_EXHAUSTED].http).toBe(429);
    expect(STATUS_TABLE[GrpcStatus.INVALID_ARGUMENT].http).toBe(400);
  });

  it('keeps an ApiError as it is, with the HTTP status of its row', () => {
    const err = new ApiError(GrpcStatus.ALREADY_EXISTS, 'WEBHOOK_EXISTS', 'already there');
    expect(toApiError(err)).toBe(err);
    expect(err.httpStatus).toBe(409);
    expect(err.body()).toEqual({ error: { code: 'WEBHOOK_EXISTS', message: 'already there' } });
  });

  it('turns an input validation failure into INVALID_ARGUMENT naming each field', () => {
    const parsed = z.object({ url: z.url(), events: z.array(z.string()).min(1) }).safeParse({ url: 'x', events: [] });
    const err = toApiError(new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error }));
    expect(err.httpStatus).toBe(400);
    expect(err.appCode).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^invalid field 'url': .* \(and 1 more\)$/);
    expect(err.details?.fields?.map((f) => f.field)).toEqual(['url', 'events']);
  });

  it('hides an unexpected error behind INTERNAL and hands the original to the logger', () => {
    const logged: unknown[] = [];
    const secret = new Error('connection string postgres://admin:hunter2@db');
    const err = toApiError(secret, (e) => logged.push(e));
    expect(err.httpStatus).toBe(500);
    expect(JSON.stringify(err.body())).not.toContain('hunter2');
    expect(logged).toEqual([secret]);
  });
});
