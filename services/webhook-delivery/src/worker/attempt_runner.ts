import { AppError, type Logger } from '@marketpulse/runtime';
import type { AddressGuard } from '../address_guard/address_guard';
import type { SendResult, WebhookSender } from '../http_sending/sender';
import type { RetryPolicy } from '../retry_schedule/retry_schedule';
import { buildRequestHeaders } from '../signing/request_headers';
import type { AttemptRecord, AttemptOutcome, ClaimedDelivery, DeliveryStore } from '../store/delivery_store';
import type { EndpointStore } from '../store/endpoint_store';
import type { TransactionalDb } from '../store/queryable';
import { AttemptRecorder } from './attempt_recorder';
import { decideOutcome, describeFailure, isSuccess } from './attempt_outcome';
import { outgoingTraceHeaders, withDeliverySpan } from './trace_context';

export interface AttemptSettings {
  /** Names this process in the attempts it records. */
  workerId: string;
  timeoutMs: number;
  maxResponseBytes: number;
  disableAfterMs: number;
  /** How far ahead a rate-limited endpoint's queue may reach before the endpoint is disabled (WEBHOOK_MAX_RATE_QUEUE_MS). */
  maxRateQueueMs: number;
}

/** What happened to one claimed delivery, for hooks (metrics, webhook_delivery events). */
export interface AttemptReport {
  claim: ClaimedDelivery;
  attempt: AttemptRecord & { attempt: number };
  outcome: AttemptOutcome;
  /** The receiver gave no complete answer within the timeout (what InFlightAllowance holds against it). */
  timedOut: boolean;
}

export interface AttemptHooks {
  onAttempt?(report: AttemptReport): void;
  onEndpointDisabled?(endpointId: string, reason: string, ownerId: string): void;
}

export interface AttemptRunnerDeps {
  db: TransactionalDb;
  deliveries: DeliveryStore;
  endpoints: EndpointStore;
  guard: AddressGuard;
  sender: WebhookSender;
  policy: RetryPolicy;
  settings: AttemptSettings;
  hooks: AttemptHooks;
  logger: Logger;
}

/** Makes one attempt of one claimed delivery and records it. */
export class AttemptRunner {
  private readonly recorder: AttemptRecorder;

  constructor(private readonly deps: AttemptRunnerDeps) {
    this.recorder = new AttemptRecorder({
      db: deps.db,
      deliveries: deps.deliveries,
      endpoints: deps.endpoints,
      disableAfterMs: deps.settings.disableAfterMs,
    });
  }

  /** `retries: false` ends the delivery after this attempt whatever happens (a test send). */
  async run(claim: ClaimedDelivery, options: { retries: boolean } = { retries: true }): Promise<AttemptReport | null> {
    const { deliveries, endpoints } = this.deps;
    if (!claim.endpoint_active) {
      await deliveries.cancel(claim, 'the endpoint is disabled; re-enable it and replay the delivery');
      return null;
    }
    if (claim.rate_limit_per_second !== null && claim.rate_limit_per_second > 0) {
      const waitMs = await endpoints.takeRateSlot(claim.endpoint_id, claim.rate_limit_per_second);
      if (waitMs > 0) {
        const queuedUntil = await deliveries.postponeBehindQueue(claim, waitMs, 1000 / claim.rate_limit_per_second);
        if (queuedUntil !== null && queuedUntil.getTime() - Date.now() > this.deps.settings.maxRateQueueMs)
          await this.disableOverQueued(claim);
        return null;
      }
    }
    const attributes = {
      'webhook.id': claim.event_id,
      'webhook.endpoint_id': claim.endpoint_id,
      'webhook.event_type': claim.event_type,
      'webhook.attempt': claim.attempts + 1,
    };
    return withDeliverySpan(claim.traceparent, attributes, async (span) => {
      const attemptedAt = new Date();
      const result = await this.send(claim, attemptedAt);
      if (result.statusCode !== undefined) span.setAttribute('http.response.status_code', result.statusCode);
      const decision = decideOutcome(result, claim.attempts + 1 - claim.round_start_attempts, options.retries ? this.deps.policy : null);
      const attempt: AttemptRecord = {
        worker_id: this.deps.settings.workerId,
        attempted_at: attemptedAt,
        status_code: result.statusCode ?? null,
        duration_ms: result.durationMs,
        response_excerpt: result.responseExcerpt,
        error: describeFailure(result),
        succeeded: isSuccess(result),
      };
      const disabledBy = await this.record(claim, attempt, decision.outcome, decision.disableReason);
      const report: AttemptReport = {
        claim,
        attempt: { ...attempt, attempt: claim.attempts + 1 },
        outcome: decision.outcome,
        timedOut: result.timedOut === true,
      };
      this.deps.hooks.onAttempt?.(report);
      if (disabledBy) this.deps.hooks.onEndpointDisabled?.(claim.endpoint_id, disabledBy, claim.owner_id);
      return report;
    });
  }

  /**
   * The endpoint takes more events than its rate limit lets out: its queue would only grow, and
   * with it the table every user's claims read. Disabled as a failing endpoint is, so its owner
   * hears of it (the hook's system_error) and can raise the limit or narrow what it takes.
   */
  private async disableOverQueued(claim: ClaimedDelivery): Promise<void> {
    const reason =
      `its deliveries were queued more than ${spoken(this.deps.settings.maxRateQueueMs)} ahead at rate_limit_per_second ${claim.rate_limit_per_second} ` +
      `(WEBHOOK_MAX_RATE_QUEUE_MS): raise the limit or subscribe to fewer events, then re-enable it`;
    if (await this.deps.endpoints.disable(this.deps.db, claim.endpoint_id, reason))
      this.deps.hooks.onEndpointDisabled?.(claim.endpoint_id, reason, claim.owner_id);
  }

  private async send(claim: ClaimedDelivery, sentAt: Date): Promise<SendResult> {
    const { guard, sender, settings } = this.deps;
    let target;
    try {
      // Vetted again at every attempt: what a host name resolves to can change after the endpoint was created.
      target = await guard.vet(claim.url);
    } catch (err) {
      const message = err instanceof AppError ? `${err.reason}: ${err.message}` : String(err);
      return { durationMs: 0, responseExcerpt: '', error: message };
    }
    const headers = buildRequestHeaders({
      custom: claim.headers,
      secrets: claim,
      messageId: claim.event_id,
      body: claim.body,
      sentAt,
      trace: outgoingTraceHeaders(claim.traceparent),
    });
    return sender.send({ target, headers, body: claim.body, timeoutMs: settings.timeoutMs, maxResponseBytes: settings.maxResponseBytes });
  }

  /** Returns the reason when this attempt disabled the endpoint. */
  private async record(
    claim: ClaimedDelivery,
    attempt: AttemptRecord,
    outcome: AttemptOutcome,
    disableReason?: string,
  ): Promise<string | undefined> {
    const { current, disabledBy } = await this.recorder.record(claim, attempt, outcome, disableReason);
    if (!current)
      this.deps.logger.warn(
        { delivery_id: claim.id },
        'attempt finished after its lease ran out; another worker owns the delivery now (raise WEBHOOK_LEASE_MS above WEBHOOK_TIMEOUT_MS)',
      );
    return disabledBy;
  }
}

/** A duration as a person reads it: 20 s, 15 min, 1 h. */
function spoken(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
