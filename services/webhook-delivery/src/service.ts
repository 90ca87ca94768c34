import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { startInServiceScope, type Database, type HealthMonitor, type ServiceScopeDeps } from '@marketpulse/runtime';
import { AddressGuard, type Resolver } from './address_guard/address_guard';
import type { WebhookDeliveryConfig } from './config';
import { WebhookApi } from './endpoint_api/webhook_api';
import { registerWebhookQueueMetrics, webhookDeliveryMetrics } from './metrics/webhook_metrics';
import { webhookService } from './grpc/server';
import { HttpSender } from './http_sending/sender_http';
import { EventIntake } from './intake/event_intake';
import { deliveryOutcomeEvent, endpointDisabledEvent } from './outcome_events/outcome_events';
import { OutcomePublisher } from './outcome_events/outcome_publisher';
import { parseSchedule } from './retry_schedule/retry_schedule';
import { DeliveryStore } from './store/delivery_store';
import { EndpointStore } from './store/endpoint_store';
import { migrations } from './store/migrations';
import { readQueueFigures } from './store/queue_figures';
import { AttemptRunner } from './worker/attempt_runner';
import { DeliveryWorker } from './worker/delivery_worker';

/** What a caller may lend the service (the one-process suite, tests); lent resources are left open on close. */
export interface WebhookDeliveryDeps extends ServiceScopeDeps {
  db?: Database;
  /** Resolves endpoint hosts for the SSRF guard (default: the system resolver). */
  resolveHost?: Resolver;
}

export interface WebhookDeliveryHandle {
  /** The bound gRPC port (useful with GRPC_PORT=0). */
  grpcPort: number;
  api: WebhookApi;
  health: HealthMonitor;
  close(): Promise<void>;
}

export async function startWebhookDelivery(config: WebhookDeliveryConfig, deps: WebhookDeliveryDeps = {}): Promise<WebhookDeliveryHandle> {
  return startInServiceScope('webhook-delivery', config, deps, async (scope) => {
    const { logger, bus, db } = scope;
    if (config.WEBHOOK_LEASE_MS <= config.WEBHOOK_TIMEOUT_MS) {
      logger.warn(
        { lease_ms: config.WEBHOOK_LEASE_MS, timeout_ms: config.WEBHOOK_TIMEOUT_MS },
        'WEBHOOK_LEASE_MS is not above WEBHOOK_TIMEOUT_MS: a slow attempt may be claimed and sent again by another worker',
      );
    }
    await db.migrate(migrations);
    const endpoints = new EndpointStore(db);
    const deliveries = new DeliveryStore(db);
    const guard = new AddressGuard(
      { allowLoopback: config.WEBHOOK_ALLOW_LOOPBACK, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE },
      deps.resolveHost,
    );
    const sender = new HttpSender();
    scope.onClose(() => sender.close());
    const outcomes = new OutcomePublisher(bus, logger);
    scope.onClose(() => outcomes.close());
    const webhookMetrics = webhookDeliveryMetrics();
    scope.onClose(registerWebhookQueueMetrics(() => readQueueFigures(db)));

    const runner = new AttemptRunner({
      db,
      deliveries,
      endpoints,
      guard,
      sender,
      policy: {
        scheduleMs: parseSchedule(config.WEBHOOK_RETRY_SCHEDULE),
        jitter: config.WEBHOOK_RETRY_JITTER,
        maxRetryAfterMs: config.WEBHOOK_RETRY_AFTER_MAX_MS,
      },
      settings: {
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
        disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS,
        maxRateQueueMs: config.WEBHOOK_MAX_RATE_QUEUE_MS,
      },
      logger,
      hooks: {
        onAttempt: (report) => {
          const { claim, attempt, outcome } = report;
          webhookMetrics.attempt({
            eventType: claim.event_type,
            outcome: outcome.status,
            statusCode: attempt.status_code,
            seconds: attempt.duration_ms / 1000,
            endpointState: claim.endpoint_active ? 'active' : 'disabled',
          });
          const line = {
            event: 'webhook.attempt',
            delivery_id: claim.id,
            endpoint_id: claim.endpoint_id,
            event_id: claim.event_id,
            event_type: claim.event_type,
            attempt: attempt.attempt,
            outcome: outcome.status,
            'http.response.status_code': attempt.status_code,
            duration_ms: attempt.duration_ms,
          };
          if (outcome.status === 'delivered') logger.info(line, 'webhook delivered');
          else
            logger.warn(line, outcome.status === 'failed' ? 'webhook delivery failed for good' : 'webhook attempt failed; retry scheduled');
          outcomes.publish(deliveryOutcomeEvent(report));
        },
        onEndpointDisabled: (endpointId, reason, ownerId) => {
          logger.warn({ endpoint_id: endpointId, reason }, 'webhook endpoint disabled');
          outcomes.publish(endpointDisabledEvent(endpointId, reason, ownerId));
        },
      },
    });
    const worker = new DeliveryWorker(
      deliveries,
      runner,
      {
        concurrency: config.WEBHOOK_WORKERS,
        slowAttemptMs: config.WEBHOOK_SLOW_ATTEMPT_MS,
        maxWaitingAttempts: config.WEBHOOK_MAX_WAITING_ATTEMPTS,
        perEndpoint: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
        perOwner: config.WEBHOOK_MAX_IN_FLIGHT_PER_USER,
        leaseMs: config.WEBHOOK_LEASE_MS,
        pollMs: config.WEBHOOK_POLL_MS,
      },
      logger,
    );
    const wake = () => worker.wake();
    const api = new WebhookApi({
      endpoints,
      deliveries,
      guard,
      runner,
      leaseMs: config.WEBHOOK_LEASE_MS,
      defaultSecretOverlapS: config.WEBHOOK_SECRET_OVERLAP_S,
      maxEndpointsPerUser: config.WEBHOOK_MAX_ENDPOINTS_PER_USER,
      onNewDeliveries: wake,
    });

    const server = await scope.serveGrpc([webhookService(api, logger)]);

    worker.start();
    scope.onClose(() => worker.close());
    const intake = new EventIntake(
      bus,
      deliveries,
      {
        groupId: config.WEBHOOK_CONSUMER_GROUP ?? config.SERVICE_NAME,
        consumers: config.WEBHOOK_INTAKE_CONSUMERS,
        maxPayloadBytes: config.WEBHOOK_MAX_PAYLOAD_BYTES,
        onNewDeliveries: wake,
        storeHealthy: async () => (await db.health()).ok,
      },
      logger,
    );
    await intake.start();
    scope.onClose(() => intake.close());
    const health = await scope.startHealth(server);

    return { grpcPort: server.port, api, health, close: scope.close };
  });
}
