import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { events, webhooks } from '@marketpulse/proto';
import { Kafka, logLevel } from 'kafkajs';
import { createClient, createLogger, KafkaBus, readGrpcError } from '@marketpulse/runtime';
import {
  startWebhookDelivery,
  loadConfig as loadWebhookConfig,
  type WebhookDeliveryDeps,
  type WebhookDeliveryHandle,
} from '@marketpulse/webhook-delivery';
import { randomUUID } from 'node:crypto';
import { freePort, kafkaBrokers, REPO_ROOT, sliceServiceEnv, startProcess, waitFor, type ManagedProcess } from '../harness';

// Shared by the webhook suites (tests/e2e/webhooks-*.test.ts, tests/reliability/webhooks-*.test.ts):
// a real HTTP receiver on 127.0.0.1, the service as its own process from dist, a Kafka publisher.

export interface ReceivedRequest {
  id: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** What the receiver answers: a status, optionally after a delay, with headers and a body of its own. */
export type Answer = number | { status: number; delayMs?: number; headers?: Record<string, string>; body?: Buffer };

export class Receiver {
  readonly requests: ReceivedRequest[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly base: string,
  ) {}

  /** `answer` gets each request and how many times its webhook-id has been seen (1 for the first). */
  static async start(answer: (req: ReceivedRequest, nth: number) => Answer = () => 200): Promise<Receiver> {
    const seen = new Map<string, number>();
    const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        const r: ReceivedRequest = {
          id: headers['webhook-id'] ?? '',
          path: req.url ?? '/',
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        receiver.requests.push(r);
        const nth = (seen.get(r.id) ?? 0) + 1;
        seen.set(r.id, nth);
        const a = answer(r, nth);
        const { status, delayMs = 0, headers: extra = {}, body } = typeof a === 'number' ? { status: a } : a;
        const reply = () => res.writeHead(status, extra).end(body ?? (status < 300 ? 'ok' : `failing on purpose (${status})`));
        if (delayMs > 0) setTimeout(reply, delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Requests arrive only once the server listens, so after `receiver` is set.
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  url(p = '/hook'): string {
    return `${this.base}${p}`;
  }

  byId(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.id === id);
  }

  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The WebhookService with promise-returning calls; errors carry the app code (mp-error-code). */
export class WebhookClient {
  private readonly raw: webhooks.WebhookServiceClient;

  constructor(port: number) {
    this.raw = createClient(webhooks.WebhookServiceClient, `127.0.0.1:${port}`, { deadlineMs: 20_000 });
  }

  call<Req, Res>(method: keyof webhooks.WebhookServiceClient, req: Req): Promise<Res> {
    const fn = this.raw[method] as unknown as (r: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;
    return new Promise((resolve, reject) =>
      fn.call(this.raw, req, (err, res) => {
        if (!err) return resolve(res);
        const e = readGrpcError(err);
        reject(Object.assign(new Error(e.message), { grpcCode: e.code, appCode: e.appCode }));
      }),
    );
  }

  createEndpoint(endpoint: Partial<webhooks.Endpoint>): Promise<webhooks.Endpoint> {
    const full = webhooks.Endpoint.fromPartial({ active: true, events: ['prediction_complete'], ...endpoint });
    return this.call<webhooks.CreateEndpointRequest, webhooks.CreateEndpointResponse>('createEndpoint', { endpoint: full }).then(
      (r) => r.endpoint!,
    );
  }

  listDeliveries(userId: string, endpointId: string, status = ''): Promise<webhooks.Delivery[]> {
    return this.call<webhooks.ListDeliveriesRequest, webhooks.ListDeliveriesResponse>('listDeliveries', {
      user_id: userId,
      endpoint_id: endpointId,
      status,
      limit: 500,
    }).then((r) => r.deliveries);
  }

  close(): void {
    this.raw.close();
  }
}

export interface ServiceOptions {
  databaseUrl: string;
  topicPrefix: string;
  env?: Record<string, string>;
  label?: string;
}

export interface RunningService {
  proc: ManagedProcess;
  port: number;
  client: WebhookClient;
  stop(): Promise<void>;
}

const MAIN = path.join(REPO_ROOT, 'services/webhook-delivery/dist/main.js');
const TELEMETRY = path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');

/**
 * webhook-delivery in this process on `env` (bus, topics, DATABASE_URL), with a free gRPC port,
 * loopback receivers allowed and a consumer group of its own.
 */
export function startWebhookDeliveryHere(env: Record<string, string>, deps: WebhookDeliveryDeps): Promise<WebhookDeliveryHandle> {
  return startWebhookDelivery(
    loadWebhookConfig({ GRPC_PORT: '0', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_CONSUMER_GROUP: `wh-${randomUUID()}`, ...env }),
    deps,
  );
}

/** Starts services/webhook-delivery/dist/main.js and waits for its "ready" line. */
export async function startWebhookService(opts: ServiceOptions): Promise<RunningService> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm run build\` from the repository root first`);
  const port = await freePort();
  const proc = startProcess(
    process.execPath,
    ['--require', TELEMETRY, MAIN],
    sliceServiceEnv(
      { prefix: opts.topicPrefix, db: { url: opts.databaseUrl } },
      {
        GRPC_PORT: String(port),
        LOG_LEVEL: 'info',
        WEBHOOK_ALLOW_LOOPBACK: 'true',
        WEBHOOK_RETRY_SCHEDULE: '200ms,500ms',
        WEBHOOK_RETRY_JITTER: '0',
        WEBHOOK_POLL_MS: '100',
        ...opts.env,
      },
    ),
    { label: opts.label ?? 'webhook-delivery' },
  );
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await waitFor(
    () => {
      if (exited) throw new Error(`webhook-delivery exited before it was ready; see ${proc.logFile}`);
      return /"msg":"ready"/.test(proc.output());
    },
    { timeoutMs: 60_000, what: `webhook-delivery "ready" (log: ${proc.logFile})` },
  ).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });
  const client = new WebhookClient(port);
  return {
    proc,
    port,
    client,
    stop: async () => {
      client.close();
      await proc.stop(10_000);
    },
  };
}

/** Publishes with the runtime's Kafka bus, the way every producing service does. */
export function publisher(topicPrefix: string): KafkaBus {
  return new KafkaBus({
    brokers: kafkaBrokers().split(','),
    clientId: 'webhook-tests',
    topicPrefix,
    partitions: 3,
    logger: createLogger('webhook-tests', {}, { level: 'warn' }),
  });
}

/** One record written with kafkajs directly, with the W3C trace header a traced producer would add. */
export async function publishWithTraceparent(topicPrefix: string, event: events.Event, traceparent: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'webhook-tests-raw', brokers: kafkaBrokers().split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic: `${topicPrefix}${event.type}`,
      acks: -1,
      messages: [{ key: event.subject, value: Buffer.from(events.Event.encode(event).finish()), headers: { traceparent } }],
    });
  } finally {
    await producer.disconnect();
  }
}

export function predictionEvent(id: string, symbol = 'AAPL', price = 150.25): events.Event {
  return events.Event.fromPartial({
    id,
    type: 'prediction_complete',
    source: 'prediction',
    subject: symbol,
    time: new Date().toISOString(),
    payload: {
      $case: 'prediction_complete',
      prediction_complete: { symbol, predicted_price: price, confidence: 0.85, horizon_seconds: 3600 },
    },
  });
}
