import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  HealthMonitor,
  createBus,
  createLogger,
  openDatabase,
  startGrpcServer,
  webhookDeliveryMetrics,
  type Bus,
  type Database,
  type Logger,
} from '@marketpulse/runtime';
import { AddressGuard } from './address_guard/address_guard';
import type { WebhookConfig } from './config';
import { WebhookApi } from './endpoint_api/webhook_api';
import { webhookServiceRegistration } from './grpc/webhook_service_grpc';
import { HttpSender } from './http_sending/sender_http';
import { EventIntake } from './intake/event_intake';
import { deliveryOutcomeEvent, endpointDisabledEvent } from './outcome_events/outcome_events';
import { OutcomePublisher } from './outcome_events/outcome_publisher';
import { parseSchedule } from './retry_schedule/retry_schedule';
import { DeliveryStore } from './store/delivery_store';
import { EndpointStore } from './store/endpoint_store';
import { migrations } from './store/migrations';
import { AttemptRunner } from './worker/attempt_runner';
import { DeliveryWorker } from './worker/delivery_worker';

export interface WebhookDeliveryDeps {
  bus?: Bus;
  db?: Database;
  logger?: Logger;
}

export interface WebhookDeliveryHandle {
  /** The bound gRPC port (useful with GRPC_PORT=0). */
  port: number;
  api: WebhookApi;
  health: HealthMonitor;
  close(): Promise<void>;
}

export async function startWebhookDelivery(config: WebhookConfig, deps: WebhookDeliveryDeps = {}): Promise<WebhookDeliveryHandle> {
  const logger = deps.logger ?? createLogger(config.SERVICE_NAME, {}, { level: config.LOG_LEVEL });
  const bus = deps.bus ?? createBus(config, logger);
  const db = deps.db ?? (await openDatabase({ service: config.SERVICE_NAME, url: config.DATABASE_URL, dataDir: config.PGLITE_DIR, logger }));
  const owned: (() => Promise<void>)[] = [];
  if (!deps.db) owned.push(() => db.close());
  if (!deps.bus) owned.push(() => bus.close());

  try {
    if (config.WEBHOOK_LEASE_MS <= config.WEBHOOK_TIMEOUT_MS) {
      logger.warn({ lease_ms: config.WEBHOOK_LEASE_MS, timeout_ms: config.WEBHOOK_TIMEOUT_MS }, 'WEBHOOK_LEASE_MS is not above WEBHOOK_TIMEOUT_MS: a slow attempt may be claimed and sent again by another worker');
    }
    await db.migrate(migrations);
    const endpoints = new EndpointStore(db);
    const deliveries = new DeliveryStore(db);
    const guard = new AddressGuard({ allowLoopback: config.WEBHOOK_ALLOW_LOOPBACK, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE });
    const sender = new HttpSender();
    owned.unshift(async () => sender.close());
    const outcomes = new OutcomePublisher(bus, logger);
    owned.unshift(() => outcomes.close());
    const webhookMetrics = webhookDeliveryMetrics();

    const runner = new AttemptRunner({
      db,
      deliveries,
      endpoints,
      guard,
      sender,
      policy: { scheduleMs: parseSchedule(config.WEBHOOK_RETRY_SCHEDULE), jitter: config.WEBHOOK_RETRY_JITTER, maxRetryAfterMs: config.WEBHOOK_RETRY_AFTER_MAX_MS },
      settings: { workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, timeoutMs: config.WEBHOOK_TIMEOUT_MS, maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES, disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS },
      logger,
      hooks: {
        onAttempt: (report) => {
          const { claim, attempt, outcome } = report;
          webhookMetrics.attempt({ eventType: claim.event_type, outcome: outcome.status, statusCode: attempt.status_code, seconds: attempt.duration_ms / 1000 });
          outcomes.publish(deliveryOutcomeEvent(report));
        },
        onEndpointDisabled: (endpointId, reason) => {
          logger.warn({ endpoint_id: endpointId, reason }, 'webhook endpoint disabled');
          outcomes.publish(endpointDisabledEvent(endpointId, reason));
        },
      },
    });
    const worker = new DeliveryWorker(deliveries, runner, { concurrency: config.WEBHOOK_WORKERS, leaseMs: config.WEBHOOK_LEASE_MS, pollMs: config.WEBHOOK_POLL_MS }, logger);
    const wake = () => worker.wake();
    const api = new WebhookApi({ endpoints, deliveries, guard, runner, leaseMs: config.WEBHOOK_LEASE_MS, defaultSecretOverlapS: config.WEBHOOK_SECRET_OVERLAP_S, onNewDeliveries: wake });

    const server = await startGrpcServer({
      port: config.GRPC_PORT,
      host: config.GRPC_HOST,
      services: [webhookServiceRegistration(api, logger)],
      initialStatus: 'NOT_SERVING',
      logger,
    });
    owned.unshift(() => server.close());

    const health = new HealthMonitor({
      components: [
        { name: 'bus', check: () => bus.health() },
        { name: 'database', check: () => db.health() },
      ],
      intervalMs: config.HEALTH_CHECK_INTERVAL_MS,
      logger,
      grpcHealth: server.health,
    });

    worker.start();
    owned.unshift(() => worker.close());
    const intake = new EventIntake(bus, deliveries, { groupId: config.WEBHOOK_CONSUMER_GROUP ?? config.SERVICE_NAME, consumers: config.WEBHOOK_INTAKE_CONSUMERS, maxPayloadBytes: config.WEBHOOK_MAX_PAYLOAD_BYTES, onNewDeliveries: wake }, logger);
    await intake.start();
    owned.unshift(() => intake.close());
    await health.start();
    owned.unshift(async () => health.stop());

    return {
      port: server.port,
      api,
      health,
      close: async () => {
        for (const step of owned.splice(0)) {
          await step().catch((err: unknown) => logger.warn({ err: String(err) }, 'error while stopping webhook-delivery'));
        }
      },
    };
  } catch (err) {
    for (const step of owned.splice(0)) await step().catch(() => {});
    throw err;
  }
}
