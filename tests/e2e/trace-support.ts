import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { REPO_ROOT, startProcess, waitFor, waitForProcessOutput, type ManagedProcess } from '../harness';

// Shared by the trace suites (tests/e2e/trace-*.test.ts): services as their own processes from
// dist with the OpenTelemetry bootstrap exporting to the run's Zipkin, and a reader of what Zipkin
// stored.

const TELEMETRY = path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');

/** The standard OTEL_* variables that send every span of `service` to Zipkin at once. */
export function tracingEnv(zipkinUrl: string, service: string): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: service,
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    // The batch processor's default 5 s delay would make the test wait for nothing.
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

/** Starts `<dir>/dist/main.js` with `--require register.js` and waits for its "ready" line. */
export async function startTracedProcess(dir: string, env: Record<string, string>, extraReady?: RegExp): Promise<ManagedProcess> {
  const main = path.join(REPO_ROOT, dir, 'dist/main.js');
  for (const file of [main, TELEMETRY]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`pnpm run build\` from the repository root first`);
  }
  const label = `trace-${path.basename(dir)}`;
  const proc = startProcess(process.execPath, ['--require', TELEMETRY, main], { LOG_LEVEL: 'info', ...env }, { label });
  const ready = (text: string) => /"msg":"ready"/.test(text) && (!extraReady || extraReady.test(text));
  await waitForProcessOutput(proc, ready, { timeoutMs: 120_000, what: `${dir} to be ready` }).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });
  return proc;
}

/** startTracedProcess with every span exported to Zipkin under the folder's name (gateway, alerting...). */
export function startTracedService(
  zipkinUrl: string,
  dir: string,
  env: Record<string, string>,
  extraReady?: RegExp,
): Promise<ManagedProcess> {
  return startTracedProcess(dir, { ...tracingEnv(zipkinUrl, path.basename(dir)), ...env }, extraReady);
}

/** The gateway, traced, once it consumes events (so none published after this is missed). */
export function startTracedGateway(zipkinUrl: string, env: Record<string, string>): Promise<ManagedProcess> {
  return startTracedService(zipkinUrl, 'gateway', env, /"msg":"consuming events"/);
}

/** A span as Zipkin's v2 API returns it (names are lower-cased by Zipkin). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

export class Trace {
  constructor(readonly spans: ZipkinSpan[]) {}

  service(span: ZipkinSpan): string {
    return span.localEndpoint?.serviceName ?? '';
  }

  /** Spans of `service` matching `where`. */
  find(service: string, where: (s: ZipkinSpan) => boolean = () => true): ZipkinSpan[] {
    return this.spans.filter((s) => this.service(s) === service && where(s));
  }

  one(service: string, what: string, where: (s: ZipkinSpan) => boolean): ZipkinSpan {
    const found = this.find(service, where);
    if (found.length === 0) throw new Error(`no ${what} span of ${service} in the trace; it has:\n${this.describe()}`);
    return found[0];
  }

  byId(id: string | undefined): ZipkinSpan | undefined {
    return id === undefined ? undefined : this.spans.find((s) => s.id === id);
  }

  /** The chain of parents from `span` up to the root. */
  ancestors(span: ZipkinSpan): ZipkinSpan[] {
    const out: ZipkinSpan[] = [];
    for (let p = this.byId(span.parentId); p; p = this.byId(p.parentId)) out.push(p);
    return out;
  }

  isBelow(span: ZipkinSpan, ancestor: ZipkinSpan): boolean {
    return this.ancestors(span).some((a) => a.id === ancestor.id);
  }

  roots(): ZipkinSpan[] {
    return this.spans.filter((s) => !s.parentId);
  }

  /** Parent ids that name no span of the trace (a hop that lost its context would show here). */
  danglingParents(): string[] {
    return this.spans.filter((s) => s.parentId && !this.byId(s.parentId)).map((s) => `${this.service(s)}: ${s.name} -> ${s.parentId}`);
  }

  describe(): string {
    return this.spans
      .map((s) => `  ${this.service(s)} ${s.kind ?? 'INTERNAL'} "${s.name}" id=${s.id} parent=${s.parentId ?? '-'}`)
      .join('\n');
  }
}

/** Polls Zipkin until the trace holds what `complete` wants (spans arrive from each process on its own). */
export async function readTrace(zipkinUrl: string, traceId: string, complete: (t: Trace) => boolean, timeoutMs = 30_000): Promise<Trace> {
  let last = new Trace([]);
  try {
    return await waitFor(
      async () => {
        const res = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
        if (res.status === 404) return undefined;
        if (!res.ok) throw new Error(`Zipkin answered ${res.status} for trace ${traceId}`);
        last = new Trace((await res.json()) as ZipkinSpan[]);
        return complete(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 500, what: `trace ${traceId} in Zipkin` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it has ${last.spans.length} span(s):\n${last.describe()}`, { cause: err });
  }
}

/**
 * Reads a trace once every span `pick` looks for is in it (pick throws while one is missing) and no
 * span's parent is missing; returns the trace and what pick found in it.
 */
export async function readTraceWith<S>(zipkinUrl: string, traceId: string, pick: (t: Trace) => S): Promise<{ trace: Trace; spans: S }> {
  const trace = await readTrace(zipkinUrl, traceId, (t) => {
    try {
      pick(t);
    } catch {
      return false;
    }
    return t.danglingParents().length === 0;
  });
  return { trace, spans: pick(trace) };
}

/** An HS256 JWT the gateway accepts with JWT_SECRET = `secret`. */
export function jwtFor(secret: string, sub: string, scopes: string[]): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: now, exp: now + 3600, scopes })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** A webhook receiver that records the headers of each request and answers 200. */
export class HookReceiver {
  readonly requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<HookReceiver> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Requests arrive only once the server listens, so after `receiver` is set.
    const receiver = new HookReceiver(server);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A WebSocket client that keeps every JSON message it receives. */
export class WsListener {
  readonly messages: Record<string, unknown>[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  }

  static async open(url: string): Promise<WsListener> {
    const socket = new WebSocket(url);
    const listener = new WsListener(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return listener;
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): void {
    this.socket.close();
  }
}

/** The trace id (32 hex digits) of a W3C traceparent header. */
export function traceIdOf(traceparent: string | string[] | undefined): string {
  const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value ?? '');
  if (!match) throw new Error(`not a W3C traceparent: ${String(value)}`);
  return match[1];
}

/** The parent span id a W3C traceparent header names. */
export function parentIdOf(traceparent: string | string[] | undefined): string {
  const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
  return /^00-[0-9a-f]{32}-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value ?? '')?.[1] ?? '';
}
