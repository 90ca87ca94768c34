// The three servers bench/fanout compares, each in its own process on 127.0.0.1: how to start one,
// where its clients connect and what they send, and how the external publisher reaches it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../ports.mts';
import type { ServerName } from './stats.mts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JWT_SECRET = 'bench-fanout-secret-0123456789abcdef';
const CENTRIFUGO_API_KEY = 'bench-fanout-api-key';

/** One message of a round: the channel (a gateway subject, a Centrifugo channel, a ws path) and its data. */
export interface Message {
  channel: string;
  id: string;
  data: Record<string, string>;
}

export interface RunningServer {
  name: ServerName;
  pid: number;
  /** The gateway's /ws/stats as one worker answers it, on a connection of its own (the primary hands each to the next worker). */
  wsStats?(): Promise<{ pid: number; messages_sent: number; active_connections: number }>;
  /** Client i of N: where it connects and the text it sends once open. */
  client(channel: string): { url: string; hello?: string };
  /** Publishes one round (one message per channel) in one HTTP request; resolves when the server accepted it. */
  publish(messages: Message[]): Promise<void>;
  stop(): Promise<void>;
}

async function waitUntil(what: string, child: ChildProcess, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before it was ready`);
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s`);
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`);
  // Centrifugo answers 200 with per-command errors inside.
  if (text.includes('"error"')) throw new Error(`${url}: ${text.slice(0, 300)}`);
}

/** GET on a connection of its own (no keep-alive). */
function getJsonFresh(port: number, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
  });
}

function stopper(child: ChildProcess, cleanup = () => {}): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };
}

/**
 * The gateway as `scripts/service.sh gateway` runs it, on the in-memory bus and its own PGlite folder; limits raised for one
 * loopback host. One process (GATEWAY_WORKERS=1) for the compared rows, whose CPU is read from that pid; `workers` > 1 for
 * the two-worker row (a primary and its workers, CPU read per process).
 */
export async function startGateway(workers = 1): Promise<RunningServer> {
  const { mintToken } = await import('@marketpulse/gateway');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-fanout-gw-'));
  const child = spawn('bash', ['scripts/service.sh', 'gateway'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      BUS: 'memory',
      PGLITE_DIR: dataDir,
      GATEWAY_PORT: String(port),
      PUBLISH_GRPC_PORT: '0',
      // No scraper here: a fixed METRICS_PORT (9464) could be taken by a suite on this machine.
      METRICS_PORT: '0',
      GATEWAY_WORKERS: String(workers),
      LOG_LEVEL: 'warn',
      JWT_SECRET,
      // One host opens every connection and sends every publish request.
      WS_MAX_CONNECTIONS: '100000',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
      API_RATE_LIMIT_PER_MINUTE: '100000000',
      API_RATE_LIMIT_BURST: '1000000',
    },
  });
  await waitUntil('gateway', child, async () => (await fetch(`http://127.0.0.1:${port}/livez`)).ok);
  if (workers > 1) {
    // Every worker answers (one /livez answers as soon as the first worker is up).
    const seen = new Set<number>();
    await waitUntil('gateway workers', child, async () => {
      seen.add(((await getJsonFresh(port, '/ws/stats')) as { pid: number }).pid);
      return seen.size >= workers;
    });
  }
  const token = await mintToken({ secret: JWT_SECRET, subject: 'bench-publisher', scopes: ['publish', 'read'], ttlSeconds: 3600 });
  return {
    name: 'gateway',
    pid: child.pid!,
    wsStats: () => getJsonFresh(port, '/ws/stats') as Promise<{ pid: number; messages_sent: number; active_connections: number }>,
    client: (channel) => ({
      url: `ws://127.0.0.1:${port}/ws/stream`,
      hello: JSON.stringify({ type: 'subscribe', data: { type: 'events', filters: { subject: channel } } }),
    }),
    publish: (messages) =>
      post(
        `http://127.0.0.1:${port}/api/v1/publish/batch`,
        { events: messages.map((m) => ({ id: m.id, type: 'equity_update', source: 'bench', subject: m.channel, data: m.data })) },
        { authorization: `Bearer ${token}` },
      ),
    stop: stopper(child, () => rmSync(dataDir, { recursive: true, force: true })),
  };
}

/** Centrifugo v6.9.1 with GOMAXPROCS=2, from a config file written here: anonymous clients may subscribe to any channel, no history. */
async function startCentrifugo(binary: string): Promise<RunningServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-fanout-cf-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      log: { level: 'error' },
      http_server: { address: '127.0.0.1', port },
      http_api: { key: CENTRIFUGO_API_KEY },
      client: { insecure: true, allowed_origins: ['*'] },
      channel: { without_namespace: { allow_subscribe_for_client: true } },
      health: { enabled: true },
      // Loopback only: no usage statistics sent anywhere.
      usage_stats: { disabled: true },
    }),
  );
  const child = spawn(binary, ['--config', configPath], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GOMAXPROCS: '2' },
  });
  await waitUntil('centrifugo', child, async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok);
  return {
    name: 'centrifugo',
    pid: child.pid!,
    client: (channel) => ({
      url: `ws://127.0.0.1:${port}/connection/websocket`,
      // Protocol v2 JSON: commands one per line; connect, then subscribe.
      hello: `{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":${JSON.stringify(channel)}}}`,
    }),
    publish: (messages) =>
      post(
        `http://127.0.0.1:${port}/api/batch`,
        { commands: messages.map((m) => ({ publish: { channel: m.channel, data: m.data } })) },
        { 'x-api-key': CENTRIFUGO_API_KEY },
      ),
    stop: stopper(child, () => rmSync(dir, { recursive: true, force: true })),
  };
}

/** The minimal `ws` broadcast server (ws_server.mts). */
async function startWs(): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('ws_server.mts', import.meta.url))], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PORT: String(port) },
  });
  await waitUntil('ws server', child, async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 404);
  return {
    name: 'ws',
    pid: child.pid!,
    client: (channel) => ({ url: `ws://127.0.0.1:${port}/${channel}` }),
    publish: (messages) =>
      post(
        `http://127.0.0.1:${port}/publish`,
        messages.map((m) => ({ channel: m.channel, data: m.data })),
        {},
      ),
    stop: stopper(child),
  };
}

export function startServer(name: ServerName, centrifugoBinary: string): Promise<RunningServer> {
  if (name === 'gateway') return startGateway();
  if (name === 'centrifugo') return startCentrifugo(centrifugoBinary);
  return startWs();
}
