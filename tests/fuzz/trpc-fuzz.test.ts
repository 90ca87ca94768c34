import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '@marketpulse/gateway';
import { REPO_ROOT, SUITE_HOOK_TIMEOUT_MS } from '@marketpulse/tests';
import { rawBody, valueFor, wrongType } from './openapi_arbitraries';
import { fuzzSeed, startSuiteUnderFuzz, type SuiteUnderFuzz } from './suite.kit';

// Every tRPC procedure, read from the router itself (a new procedure is fuzzed without a change
// here), called the way the tRPC transport calls it: the input as one JSON value, in `?input=` or
// the body, alone or batched, over the method the procedure is not served on, and subscriptions over
// SSE. The OpenAPI fuzz reaches the same procedures through REST's parameters, which never carry
// an object where a query string goes, an array where an object goes, or `null` for the whole
// input; tRPC carries all of those. No answer may be a 5xx, every refusal must be a row of the
// error table with the status it names, and the process must still serve afterwards.

type Schema = Record<string, any>;
type ProcedureType = 'query' | 'mutation' | 'subscription';
interface Procedure {
  name: string;
  type: ProcedureType;
  schema: Schema;
}
type Transport = 'single' | 'batch' | 'wrong-method' | 'raw';
interface Call {
  transport: Transport;
  input: unknown;
  /** The second call of a batch. */
  other?: { name: string; input: unknown };
  raw?: { text: string; type: string };
}

/** Cases per procedure (FUZZ_TRPC_RUNS for a longer local run); subscriptions hold an SSE stream each, so a quarter. */
const RUNS = Number(process.env.FUZZ_TRPC_RUNS) > 0 ? Number(process.env.FUZZ_TRPC_RUNS) : 100;
const SUBSCRIPTION_RUNS = Math.max(10, Math.floor(RUNS / 4));

/** Every code ERRORS.md documents: a refusal's code must be one a client can look up. */
const DOCUMENTED_CODES = new Set(
  [...fs.readFileSync(path.join(REPO_ROOT, 'ERRORS.md'), 'utf8').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
);

const procedures: Procedure[] = Object.entries(
  (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: ProcedureType; inputs: z.ZodType[] } }> } })._def
    .procedures,
).map(([name, p]) => ({
  name,
  type: p._def.type,
  schema: p._def.inputs[0] ? (z.toJSONSchema(p._def.inputs[0], { io: 'input', unrepresentable: 'any' }) as Schema) : {},
}));

let suite: SuiteUnderFuzz;
let tried = 0;
/** Answers by what they were: an HTTP status per call, and `sse:<first event>` for subscriptions. */
const outcomes = new Map<string, number>();
const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

beforeAll(async () => {
  suite = await startSuiteUnderFuzz('trpc-fuzz');
}, SUITE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await suite?.close();
});

/** An input shaped by the procedure's schema (hostile values mixed in, or none), the wrong type, or none at all. */
function inputFor(procedure: Procedure): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: valueFor(procedure.schema, procedure.schema) },
    { weight: 3, arbitrary: valueFor(procedure.schema, procedure.schema, 0, false) },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

function callFor(procedure: Procedure): fc.Arbitrary<Call> {
  if (procedure.type === 'subscription') return inputFor(procedure).map((input) => ({ transport: 'single', input }));
  const sameType = procedures.filter((p) => p.type === procedure.type);
  return fc.oneof(
    { weight: 6, arbitrary: inputFor(procedure).map((input): Call => ({ transport: 'single', input })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(inputFor(procedure), fc.constantFrom(...sameType))
        .chain(([input, other]) =>
          inputFor(other).map((otherInput): Call => ({ transport: 'batch', input, other: { name: other.name, input: otherInput } })),
        ),
    },
    { weight: 1, arbitrary: inputFor(procedure).map((input): Call => ({ transport: 'wrong-method', input })) },
    { weight: 1, arbitrary: rawBody.map((raw): Call => ({ transport: 'raw', input: undefined, raw })) },
  );
}

/** `?input=` of a GET: absent for no input, as tRPC's client sends it. */
function inputQuery(input: unknown, batch: unknown[] | undefined): string {
  if (batch) return `?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(batch.map((v, i) => [i, v]))))}`;
  return input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
}

/**
 * A refusal as the error table writes it: a documented code, the status it names, a message without
 * internals. What the HTTP server refuses before any route runs (a URL past its 16 KiB of headers:
 * HEADERS_TOO_LARGE) comes in the edge's one shape, `{error: {code, message}}`, on /trpc too.
 */
function checkError(error: Schema | undefined, status: number | undefined, what: string): void {
  if (!error || typeof error !== 'object') throw new Error(`no error object for ${what}`);
  const data = (typeof error.code === 'string' ? { code: error.code, httpStatus: status } : error.data) as Schema | undefined;
  const code = data?.code as string | undefined;
  if (typeof code !== 'string' || !DOCUMENTED_CODES.has(code))
    throw new Error(`undocumented code ${String(code)} for ${what}: ${JSON.stringify(error).slice(0, 300)}`);
  const httpStatus = data?.httpStatus as number | undefined;
  if (typeof httpStatus !== 'number' || httpStatus >= 500)
    throw new Error(`${String(httpStatus)} ${code} for ${what}: ${String(error.message).slice(0, 300)}`);
  if (status !== undefined && httpStatus !== status) throw new Error(`status ${status} but httpStatus ${httpStatus} (${code}) for ${what}`);
  const message = error.message;
  if (typeof message !== 'string' || message === '') throw new Error(`no message for ${what}`);
  if (/\n\s+at |node_modules|\/dist\/|\.ts:\d/.test(message))
    throw new Error(`internals in the message for ${what}: ${message.slice(0, 300)}`);
}

/** One call's JSON answer: a result, or a refusal from the table. */
function checkAnswer(item: unknown, status: number | undefined, what: string): void {
  if (!item || typeof item !== 'object') throw new Error(`answer is not an object for ${what}: ${JSON.stringify(item)?.slice(0, 200)}`);
  const answer = item as Schema;
  if ('error' in answer) checkError(answer.error as Schema, status, what);
  else if (!('result' in answer)) throw new Error(`neither result nor error for ${what}: ${JSON.stringify(answer).slice(0, 200)}`);
}

async function perform(procedure: Procedure, call: Call): Promise<void> {
  tried++;
  const queryLike = procedure.type === 'query';
  const get = call.transport === 'wrong-method' ? !queryLike : queryLike;
  const batch = call.transport === 'batch' && call.other ? [call.input, call.other.input] : undefined;
  const target = `/trpc/${procedure.name}${batch ? `,${call.other!.name}` : ''}`;
  let url = `${suite.base}${target}`;
  let body: string | undefined;
  let type = 'application/json';
  if (call.raw) {
    body = call.raw.text;
    type = call.raw.type;
    if (get) url += `?input=${encodeURIComponent(call.raw.text.slice(0, 4000))}`;
  } else if (get) url += inputQuery(call.input, batch);
  else {
    if (batch) url += '?batch=1';
    const value = batch ? Object.fromEntries(batch.map((v, i) => [i, v])) : call.input;
    body = value === undefined ? undefined : JSON.stringify(value);
  }
  const what = `${get ? 'GET' : 'POST'} ${url.slice(suite.base.length, suite.base.length + 300)} body=${body?.slice(0, 300) ?? '(none)'}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: get ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${suite.token}`, ...(body !== undefined && !get ? { 'content-type': type } : {}) },
      body: get ? undefined : body,
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    throw new Error(`no answer to ${what}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  count(String(res.status));
  if (res.status >= 500) throw new Error(`${res.status} for ${what}: ${text.slice(0, 500)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${res.status} for ${what} is not JSON: ${text.slice(0, 200)}`);
  }
  // A batch answers one item per call, each with its own status (the response's is 207 when they differ).
  if (Array.isArray(parsed)) for (const item of parsed) checkAnswer(item, undefined, what);
  else checkAnswer(parsed, res.status, what);
}

/**
 * A subscription over SSE, as a browser's EventSource opens it: read until its first event that is
 * not the `connected` greeting (an event or a refusal), or a moment after the greeting when nothing
 * is published on its channels, then close it.
 */
async function subscribe(procedure: Procedure, call: Call): Promise<void> {
  tried++;
  const url = `${suite.base}/trpc/${procedure.name}${inputQuery(call.input, undefined)}`;
  const what = `SSE ${url.slice(suite.base.length, suite.base.length + 300)}`;
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(), 20_000);
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${suite.token}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (res.status >= 500) throw new Error(`${res.status} for ${what}: ${(await res.text()).slice(0, 500)}`);
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      count(String(res.status));
      checkAnswer(JSON.parse(await res.text()), res.status, what);
      return;
    }
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let greeted = false;
    let quiet: NodeJS.Timeout | undefined;
    const settled = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
    for (;;) {
      const chunk = await Promise.race([reader.read(), settled.then(() => undefined)]);
      if (!chunk || chunk.done) break;
      buffered += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (event === 'connected') {
          greeted = true;
          // Nothing may be published on these channels: a refusal comes at once, or not at all.
          quiet ??= setTimeout(() => abort.abort(), 500);
          continue;
        }
        if (event === 'ping') continue;
        count(`sse:${event}`);
        if (event === 'serialized-error') checkError(JSON.parse(data) as Schema, undefined, what);
        return;
      }
    }
    count(greeted ? 'sse:connected' : 'sse:closed');
  } catch (err) {
    if (abort.signal.aborted && (err as Error).name === 'AbortError') {
      count('sse:connected');
      return;
    }
    throw err;
  } finally {
    clearTimeout(deadline);
    abort.abort();
  }
}

describe('tRPC fuzz: every procedure of the router', () => {
  it('answers hostile calls without a 5xx, with a row of the error table, and keeps serving', async () => {
    expect(procedures.length).toBeGreaterThan(40);
    expect(procedures.some((p) => p.type === 'subscription')).toBe(true);
    expect(DOCUMENTED_CODES.has('INVALID_ARGUMENT')).toBe(true);
    const seed = fuzzSeed();
    const failures: string[] = [];
    for (const [i, procedure] of procedures.entries()) {
      const subscription = procedure.type === 'subscription';
      const result = await fc.check(
        fc.asyncProperty(callFor(procedure), (call) => (subscription ? subscribe(procedure, call) : perform(procedure, call))),
        { seed: seed + i, numRuns: subscription ? SUBSCRIPTION_RUNS : RUNS, endOnFailure: true },
      );
      if (result.failed)
        failures.push(
          `${procedure.name}: ${String((result.errorInstance as Error | undefined)?.message ?? result.failures)} (seed ${seed + i})`,
        );
      if (!(await suite.alive())) {
        failures.push(`the suite stopped serving after ${procedure.name}: ${suite.logLines('"level":"error"').slice(-3).join('\n')}`);
        break;
      }
    }
    const answers = [...outcomes.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key}: ${n}`)
      .join(', ');
    console.log(
      `trpc fuzz: ${tried} cases over ${procedures.length} procedures (seed ${seed}, ${RUNS} runs each), ${failures.length} failing procedures; answers ${answers}`,
    );
    expect(failures, failures.join('\n\n')).toEqual([]);
    const succeeded = [...outcomes.entries()]
      .filter(([key]) => key === '200' || key === '207' || key === 'sse:connected')
      .reduce((n, [, c]) => n + c, 0);
    expect(succeeded, 'cases that got past validation to a service').toBeGreaterThan(tried / 20);
    expect(await suite.alive()).toBe(true);
  }, 900_000);
});
