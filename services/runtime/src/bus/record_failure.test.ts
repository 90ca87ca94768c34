import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { invalidArgument, unavailable } from '../errors/app_error';
import { BusError } from './bus';
import { classifyFailure, summarizeFailure, unprocessableRecord } from './record_failure';

const pg = (code: string, message = 'refused') => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('classifyFailure', () => {
  it('calls a value PostgreSQL refuses poison: NUL in text, untranslatable characters, too long, constraints', () => {
    for (const code of ['22021', '22P05', '22001', '22003', '22007', '22008', '22P02', '23502', '23514', '54000'])
      expect(classifyFailure(pg(code)), code).toBe('poison');
  });

  it('calls a database or broker that is away an outage, so the record waits instead of being set aside', () => {
    for (const code of ['57P01', '57P03', '08006', '08001', '53300', '40001', '40P01', '55P03', '25006', '58030'])
      expect(classifyFailure(pg(code)), code).toBe('outage');
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']) {
      expect(classifyFailure(Object.assign(new Error(`connect ${code}`), { code })), code).toBe('outage');
    }
    expect(classifyFailure(new Error('Connection terminated unexpectedly'))).toBe('outage');
    expect(classifyFailure(new Error('timeout exceeded when trying to connect'))).toBe('outage');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe('outage');
    expect(classifyFailure(Object.assign(new Error('not the leader'), { retriable: true }))).toBe('outage');
    expect(classifyFailure(new BusError('BUS_PUBLISH_FAILED', 'kafka away'))).toBe('outage');
    expect(classifyFailure(unavailable('STORE_UNAVAILABLE', 'down'))).toBe('outage');
    expect(
      classifyFailure(Object.assign(new Error('14 UNAVAILABLE'), { code: grpc.status.UNAVAILABLE, metadata: new grpc.Metadata() })),
    ).toBe('outage');
  });

  it('lets an outage anywhere in the causes win over a poison-looking wrapper', () => {
    const wrapped = new Error('storing failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(classifyFailure(wrapped)).toBe('outage');
    expect(classifyFailure(new AggregateError([pg('22021'), pg('57P01')]))).toBe('outage');
    expect(classifyFailure(new Error('wrapper', { cause: pg('22021') }))).toBe('poison');
  });

  it('takes a handler at its word that a record is unprocessable', () => {
    expect(classifyFailure(unprocessableRecord('TICK_MALFORMED', 'no price'))).toBe('unprocessable');
    expect(
      classifyFailure(unprocessableRecord('ALERT_NOT_STORABLE', 'x', Object.assign(new Error('down'), { code: 'ECONNREFUSED' }))),
    ).toBe('unprocessable');
  });

  it('reads invalid-argument statuses as poison and anything else as unknown', () => {
    expect(classifyFailure(invalidArgument('BAD', 'bad'))).toBe('poison');
    expect(classifyFailure(new BusError('BUS_INVALID_EVENT', 'no type'))).toBe('poison');
    expect(classifyFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('unknown');
    expect(classifyFailure(pg('42P01'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
    expect(classifyFailure(undefined)).toBe('unknown');
  });
});

describe('summarizeFailure', () => {
  it("uses an AppError's reason and message", () => {
    expect(summarizeFailure(unprocessableRecord('TICK_MALFORMED', 'a tick needs a price'))).toEqual({
      reason: 'TICK_MALFORMED',
      message: 'a tick needs a price',
    });
  });

  it('names the SQLSTATE of a refused value, never the SQL or the value', () => {
    const s = summarizeFailure(pg('22021', 'invalid byte sequence for encoding "UTF8": 0x00 in INSERT INTO deliveries'));
    expect(s).toEqual({ reason: 'DATABASE_REFUSED_RECORD', message: 'the database refused a value this event carries (SQLSTATE 22021)' });
  });

  it('never copies the text of an unexpected exception', () => {
    const s = summarizeFailure(new TypeError('secret at 10.0.0.7:5432'));
    expect(s.reason).toBe('HANDLER_FAILED');
    expect(s.message).not.toContain('10.0.0.7');
  });
});
