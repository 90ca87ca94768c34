import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { events } from '@marketpulse/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger';
import { readGrpcError } from '../grpc/errors';
import { serveGrpc } from '../grpc/serve';
import { startGrpcServer, type GrpcServerHandle } from '../grpc/server';
import { AppError, invalidArgument } from './app_error';
import { assertValid, checkInt32, checkInt64, checkNumber, checkOneOf, checkText, checkTimestamp } from './checks';
import { errorDomain } from './error_domain';
import { decodeStatus, encodeStatus } from './status_codec';
import { STATUS_DETAILS_KEY, toServiceError } from './grpc_status';

// Text request/response as UTF-8 bytes: the wrapper's behaviour, without generated code.
const utf8 = { serialize: (s: string) => Buffer.from(s), deserialize: (b: Buffer) => b.toString() };
const def = (name: string, responseStream: boolean): grpc.MethodDefinition<string, string> => ({
  path: `/test.v1.ErrService/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: utf8.serialize,
  requestDeserialize: utf8.deserialize,
  responseSerialize: utf8.serialize,
  responseDeserialize: utf8.deserialize,
});
const definition = { Get: def('Get', false), Watch: def('Watch', true) } as grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(definition, 'ErrService');

const testError = errorDomain('test.marketpulse', { THING_NOT_FOUND: grpc.status.NOT_FOUND });

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('errors-test', {}, { destination }) };
}

/** A handler that does what its request says; the old wrappers let each of these escape or leak. */
function behave(req: string): string {
  if (req.startsWith('missing:'))
    throw testError('THING_NOT_FOUND', `no thing ${JSON.stringify(req.slice(8))}`, { metadata: { thing: req.slice(8) } });
  if (req === 'sql')
    throw Object.assign(new Error('duplicate key value violates unique constraint "rules_pkey" at 10.0.0.7:5432'), { code: '23505' });
  if (req === 'db-down') throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
  if (req.startsWith('field:')) assertValid([checkText(req.slice(6), { field: 'name', max: 5 })]);
  return `ok ${req}`;
}

describe('the error model over gRPC (serveGrpc)', () => {
  let handle: GrpcServerHandle | undefined;
  let client: grpc.Client | undefined;
  afterEach(async () => {
    client?.close();
    await handle?.close(100);
  });

  async function start() {
    const sink = logSink();
    const registration = serveGrpc<Record<string, never>>(
      definition,
      {
        Get: (req: string) => behave(req),
        Watch: async (req: string, call: grpc.ServerWritableStream<string, string>) => {
          await Promise.resolve();
          call.write(behave(req));
          call.end();
        },
      } as never,
      { logger: sink.logger },
    );
    handle = await startGrpcServer({ port: 0, services: [registration], reflection: false });
    client = new Client(`127.0.0.1:${handle.port}`, grpc.credentials.createInsecure());
    const get = (req: string) =>
      new Promise<unknown>((resolve) => (client as any).Get(req, (err: unknown, res: unknown) => resolve(err ?? res)));
    const watch = (req: string) =>
      new Promise<unknown>((resolve) => {
        const got: unknown[] = [];
        const s = (client as any).Watch(req) as grpc.ClientReadableStream<string>;
        s.on('data', (d) => got.push(d));
        s.on('error', (e) => resolve(e));
        s.on('end', () => resolve(got));
      });
    return { get, watch, sink };
  }

  it('sends google.rpc.Status with ErrorInfo for a domain error, non-ASCII request text included, and keeps serving', async () => {
    const { get } = await start();
    const err = readGrpcError(await get('missing:Ä-é-日本-\u{1F600}'));
    expect(err).toMatchObject({
      code: grpc.status.NOT_FOUND,
      reason: 'THING_NOT_FOUND',
      appCode: 'THING_NOT_FOUND',
      domain: 'test.marketpulse',
      metadata: { thing: 'Ä-é-日本-\u{1F600}' },
      message: 'no thing "Ä-é-日本-\u{1F600}"',
    });
    expect(await get('after')).toBe('ok after');
  });

  it('lists field violations in BadRequest', async () => {
    const { get, watch } = await start();
    for (const answer of [await get('field:\u0001Ü'), await watch('field:\u0001Ü')]) {
      const e = readGrpcError(answer);
      expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e.violations).toEqual([{ field: 'name', description: 'must not contain control characters (NUL included)' }]);
    }
  });

  it('refuses NUL anywhere in a request before the handler runs', async () => {
    const { get } = await start();
    const e = readGrpcError(await get('missing:a\u0000b'));
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT', domain: 'marketpulse' });
    expect(e.violations[0]!.description).toMatch(/NUL/);
  });

  it('turns an unexpected throw into INTERNAL with an error id the log line carries, never its text', async () => {
    const { get, watch, sink } = await start();
    for (const answer of [await get('sql'), await watch('sql')]) {
      const e = readGrpcError(answer);
      expect(e.code).toBe(grpc.status.INTERNAL);
      expect(e.reason).toBe('INTERNAL');
      expect(e.message).not.toMatch(/duplicate|constraint|10\.0\.0\.7|5432|at /);
      const id = e.metadata.error_id!;
      expect(e.message).toContain(id);
      const line = sink.lines.find((l) => l.error_id === id);
      expect(line).toMatchObject({ level: 'error', operation: expect.stringMatching(/ErrService/) });
      expect(JSON.stringify(line)).toContain('rules_pkey');
    }
  });

  it('says a dependency is away without naming its address', async () => {
    const { get } = await start();
    const e = readGrpcError(await get('db-down'));
    expect(e).toMatchObject({ code: grpc.status.UNAVAILABLE, reason: 'DEPENDENCY_UNAVAILABLE' });
    expect(e.message).not.toMatch(/10\.0\.0\.7|ECONNREFUSED/);
  });

  it('says why request bytes do not decode: truncated, or not protobuf at all', async () => {
    // The generated decoder of a real message, fed raw bytes as a foreign client could send them.
    const raw: grpc.MethodDefinition<Buffer, string> = {
      ...(def('Decode', false) as unknown as grpc.MethodDefinition<Buffer, string>),
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => events.Event.decode(b) as never,
    };
    const registration = serveGrpc<Record<string, never>>({ Decode: raw } as grpc.ServiceDefinition, { Decode: () => 'decoded' } as never, {
      logger: logSink().logger,
    });
    handle = await startGrpcServer({ port: 0, services: [registration], reflection: false });
    const RawClient = grpc.makeGenericClientConstructor({ Decode: raw } as grpc.ServiceDefinition, 'RawService');
    client = new RawClient(`127.0.0.1:${handle.port}`, grpc.credentials.createInsecure());
    const send = (bytes: number[]) =>
      new Promise<unknown>((resolve) => (client as any).Decode(Buffer.from(bytes), (err: unknown, res: unknown) => resolve(err ?? res)));
    // Field 1 (id) announces 255 bytes and carries none; a varint cut short; a tag with wire type 7.
    for (const truncated of [
      [0x0a, 0xff, 0x01],
      [0x0a, 0x05, 0x61],
      [0x08, 0xff],
    ]) {
      const e = readGrpcError(await send(truncated));
      expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'INVALID_ARGUMENT' });
      expect(e.message).toMatch(/could not be decoded: it is truncated/);
    }
    expect(readGrpcError(await send([0x0f])).message).toMatch(/could not be decoded: it is not valid protobuf/);
    expect(await send([0x0a, 0x01, 0x61])).toBe('decoded');
  });

  it('streams answer like unary ones', async () => {
    const { watch } = await start();
    expect(await watch('x')).toEqual(['ok x']);
    expect(readGrpcError(await watch('missing:é'))).toMatchObject({ code: grpc.status.NOT_FOUND, reason: 'THING_NOT_FOUND' });
  });
});

describe('google.rpc.Status codec', () => {
  it('round-trips ErrorInfo and BadRequest as the official messages', () => {
    const bytes = encodeStatus({
      code: 3,
      message: 'bad',
      errorInfo: { reason: 'R', domain: 'd', metadata: { k: 'v' } },
      violations: [{ field: 'a.b', description: 'is required' }],
    });
    expect(decodeStatus(bytes)).toEqual({
      code: 3,
      message: 'bad',
      errorInfo: { reason: 'R', domain: 'd', metadata: { k: 'v' } },
      violations: [{ field: 'a.b', description: 'is required' }],
    });
    // type URLs are the standard ones every status-details library looks for
    expect(Buffer.from(bytes).toString('latin1')).toContain('type.googleapis.com/google.rpc.ErrorInfo');
    expect(Buffer.from(bytes).toString('latin1')).toContain('type.googleapis.com/google.rpc.BadRequest');
  });

  it('tells a client when to send a call again: google.rpc.RetryInfo, whole seconds rounded up', () => {
    const err = new AppError(grpc.status.UNAVAILABLE, 'PUBLISH_IN_PROGRESS', 'try again', { retryAfterSeconds: 6.2 });
    const trailer = toServiceError(err).metadata.get(STATUS_DETAILS_KEY)[0] as Buffer;
    expect(decodeStatus(trailer)).toMatchObject({ code: grpc.status.UNAVAILABLE, retryDelaySeconds: 7 });
    expect(trailer.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
    // Without a delay there is no RetryInfo at all.
    const plain = toServiceError(new AppError(grpc.status.UNAVAILABLE, 'BUS_UNAVAILABLE', 'down')).metadata.get(
      STATUS_DETAILS_KEY,
    )[0] as Buffer;
    expect(decodeStatus(plain).retryDelaySeconds).toBeUndefined();
  });

  it('an AppError with request text builds a trailer without throwing', () => {
    const e = invalidArgument('INVALID_ARGUMENT', 'bad \uD800 "é"', [{ field: 'x', description: 'é' }]);
    expect(e).toBeInstanceOf(AppError);
    expect(STATUS_DETAILS_KEY.endsWith('-bin')).toBe(true);
  });
});

describe('boundary checks', () => {
  it('checkText refuses control characters, lone surrogates, over-long text and pattern misses', () => {
    expect(checkText('ok', { field: 'f', max: 5 })).toEqual([]);
    expect(checkText('', { field: 'f', max: 5, required: true })).toEqual([{ field: 'f', description: 'is required' }]);
    expect(checkText('a\u0000', { field: 'f', max: 5 })[0]!.description).toMatch(/control/);
    expect(checkText('a\u0085', { field: 'f', max: 5 })[0]!.description).toMatch(/control/);
    expect(checkText('a\nb', { field: 'f', max: 5, multiline: true })).toEqual([]);
    expect(checkText('a\uD800', { field: 'f', max: 5 })[0]!.description).toMatch(/surrogate/);
    expect(checkText('abcdef', { field: 'f', max: 5 })[0]!.description).toMatch(/at most 5/);
    expect(checkText('a b', { field: 'f', max: 5, pattern: /^\w+$/, patternHint: 'letters' })[0]!.description).toMatch(/letters/);
  });

  it('number checks follow the proto types', () => {
    expect(checkInt32(2 ** 31, { field: 'n' })).toHaveLength(1);
    expect(checkInt32(2 ** 31 - 1, { field: 'n' })).toEqual([]);
    expect(checkInt32(-1, { field: 'n', min: 0 })).toHaveLength(1);
    expect(checkNumber(Number.NaN, { field: 'n' })).toHaveLength(1);
    expect(checkNumber(Number.POSITIVE_INFINITY, { field: 'n' })).toHaveLength(1);
    expect(checkInt64('9223372036854775807', { field: 'n' })).toHaveLength(1);
    expect(checkInt64('12', { field: 'n', max: 100 })).toEqual([]);
  });

  it('timestamps must parse and lie in sane bounds; allowed values are listed', () => {
    expect(checkTimestamp('0020-01-01T00:00:00Z', { field: 't' })).toHaveLength(1);
    expect(checkTimestamp('2026-01-01T00:00:00Z', { field: 't' })).toEqual([]);
    expect(checkTimestamp('nope', { field: 't' })).toHaveLength(1);
    expect(checkOneOf('x', ['a', 'b'], { field: 'k' })[0]!.description).toBe('must be one of: a, b (got "x")');
  });
});
