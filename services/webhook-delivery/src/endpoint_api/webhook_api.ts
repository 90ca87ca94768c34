import { randomUUID } from 'node:crypto';
import { events } from '@marketpulse/proto';
import type { AddressGuard } from '../address_guard/address_guard';
import { buildEvent, HIDDEN_HEADER_VALUE, HIDDEN_QUERY_VALUE, isEventType, type AppError, type PayloadOf } from '@marketpulse/runtime';
import { tooManyEndpoints, tooManySecrets, webhookError } from '../errors';
import { DEFAULT_TEST_EVENT_TYPE, DELIVERABLE_EVENT_TYPES } from '../payload/event_types';
import { serializeBody } from '../payload/webhook_body';
import { keepHiddenValues } from './hidden_headers';
import { keepHiddenQueryValues } from './hidden_query';
import { MAX_RETIRING_SECRETS } from '../signing/retiring_secrets';
import { generateSecret, validateSuppliedSecret } from '../signing/secret';
import type { DeliveryStore } from '../store/delivery_store';
import type { EndpointPatch, EndpointStore } from '../store/endpoint_store';
import { newId } from '../store/ids';
import type { Attempt, Delivery, DeliveryStatus, Endpoint, EndpointStats, EndpointTotals } from '../store/records';
import type { AttemptRunner } from '../worker/attempt_runner';
import {
  checkDescription,
  checkEventTypes,
  checkHeaders,
  checkRateLimit,
  checkSubjects,
  checkUrl,
  type EndpointFields,
} from './endpoint_input';

export interface EndpointView extends Endpoint {
  totals: EndpointTotals;
}

export interface RotatedEndpoint extends EndpointView {
  /** When the secret this rotation replaced stops signing. */
  previous_secret_expires_at: Date | null;
}

export interface DeliveryView extends Delivery {
  attempts_made: Attempt[];
}

export interface WebhookApiDeps {
  endpoints: EndpointStore;
  deliveries: DeliveryStore;
  guard: AddressGuard;
  runner: AttemptRunner;
  leaseMs: number;
  defaultSecretOverlapS: number;
  /** WEBHOOK_MAX_ENDPOINTS_PER_USER: each endpoint is one more delivery of every event it takes. */
  maxEndpointsPerUser: number;
  /** Called when deliveries were queued for the worker (replays). */
  onNewDeliveries: () => void;
}

const DEFAULT_DELIVERY_LIMIT = 50;
/** Failed deliveries one ReplayFailed call queues again. */
export const REPLAY_MAX = 1000;
const MAX_DELIVERY_LIMIT = 500;
const NO_TOTALS: EndpointTotals = { total: 0, delivered: 0, failed: 0, last_delivery_at: null };

/**
 * What the gRPC service does, without gRPC: endpoint management, deliveries, test sends and
 * replays. `owner` null is an operator's call; a user's call sees only that user's endpoints, and
 * another user's endpoint answers NOT_FOUND exactly as a missing one does.
 */
export class WebhookApi {
  constructor(private readonly deps: WebhookApiDeps) {}

  /** `deadline` (epoch ms): the caller's, which the URL's vetting answers before. */
  async createEndpoint(owner: string, fields: EndpointFields, suppliedSecret: string, deadline = Infinity): Promise<EndpointView> {
    if (!owner) throw webhookError('INVALID_ARGUMENT', 'an endpoint needs an owner: set user_id');
    if (suppliedSecret) validateSuppliedSecret(suppliedSecret);
    const created = await this.deps.endpoints.createWithin(
      {
        owner_id: owner,
        url: await checkUrl(fields.url, this.deps.guard, deadline),
        description: checkDescription(fields.description),
        event_types: checkEventTypes(fields.events),
        subjects: checkSubjects(fields.subjects),
        active: fields.active,
        headers: checkHeaders(fields.headers),
        secret: suppliedSecret || generateSecret(),
        rate_limit_per_second: checkRateLimit(fields.rate_limit_per_second),
      },
      this.deps.maxEndpointsPerUser,
    );
    if (!created) throw tooManyEndpoints(this.deps.maxEndpointsPerUser);
    return { ...created, totals: NO_TOTALS };
  }

  async listEndpoints(owner: string | null): Promise<EndpointView[]> {
    const list = await this.deps.endpoints.list(owner);
    const totals = await this.deps.deliveries.totals(list.map((e) => e.id));
    return list.map((e) => ({ ...e, totals: totals.get(e.id) ?? NO_TOTALS }));
  }

  async getEndpoint(owner: string | null, id: string): Promise<EndpointView> {
    const endpoint = await this.owned(owner, id);
    const totals = await this.deps.deliveries.totals([id]);
    return { ...endpoint, totals: totals.get(id) ?? NO_TOTALS };
  }

  /** PATCH: only the fields given change. */
  async updateEndpoint(owner: string | null, id: string, fields: Partial<EndpointFields>, deadline = Infinity): Promise<EndpointView> {
    const patch: EndpointPatch = {};
    if (fields.url !== undefined) {
      const url = fields.url.includes(HIDDEN_QUERY_VALUE)
        ? keepHiddenQueryValues(fields.url, (await this.owned(owner, id)).url)
        : fields.url;
      patch.url = await checkUrl(url, this.deps.guard, deadline);
    }
    if (fields.events !== undefined) patch.event_types = checkEventTypes(fields.events);
    if (fields.subjects !== undefined) patch.subjects = checkSubjects(fields.subjects);
    if (fields.headers !== undefined) {
      const headers = fields.headers;
      const hidden = Object.values(headers).includes(HIDDEN_HEADER_VALUE);
      patch.headers = checkHeaders(hidden ? keepHiddenValues(headers, (await this.owned(owner, id)).headers) : headers);
    }
    if (fields.description !== undefined) patch.description = checkDescription(fields.description);
    if (fields.rate_limit_per_second !== undefined) patch.rate_limit_per_second = checkRateLimit(fields.rate_limit_per_second);
    if (fields.active !== undefined) patch.active = fields.active;
    const updated = await this.deps.endpoints.update(owner, id, patch);
    if (!updated) throw notFound(id);
    const totals = await this.deps.deliveries.totals([id]);
    return { ...updated, totals: totals.get(id) ?? NO_TOTALS };
  }

  async deleteEndpoint(owner: string | null, id: string): Promise<void> {
    if (!(await this.deps.endpoints.delete(owner, id))) throw notFound(id);
  }

  async listDeliveries(
    owner: string | null,
    endpointId: string,
    q: { status?: string; since?: Date; limit?: number },
  ): Promise<DeliveryView[]> {
    await this.owned(owner, endpointId);
    const status = q.status ? checkStatus(q.status) : undefined;
    const limit = Math.min(q.limit || DEFAULT_DELIVERY_LIMIT, MAX_DELIVERY_LIMIT);
    const list = await this.deps.deliveries.list(endpointId, { status, since: q.since, limit });
    return this.withAttempts(list);
  }

  /** Sends a sample event of `eventType` (or the endpoint's first type) now; no retries follow a failure. */
  async sendTestEvent(owner: string | null, endpointId: string, eventType: string): Promise<DeliveryView> {
    const endpoint = await this.owned(owner, endpointId);
    if (!endpoint.active)
      throw webhookError(
        'ENDPOINT_DISABLED',
        `endpoint ${endpointId} is disabled (${endpoint.disabled_reason ?? 'no reason recorded'}); set active to true first`,
      );
    const type = eventType || endpoint.event_types[0] || DEFAULT_TEST_EVENT_TYPE;
    if (!isEventType(type) || !DELIVERABLE_EVENT_TYPES.includes(type))
      throw webhookError('INVALID_EVENT_TYPE', `unknown event type ${type}; use one of: ${DELIVERABLE_EVENT_TYPES.join(', ')}`);
    // A sample in the type's exact shape, every field at its zero value.
    const sample = buildEvent(type, {
      id: newId('msg'),
      source: 'webhook-delivery',
      subject: 'TEST',
      payload: {} as PayloadOf<typeof type>,
    });
    const event = events.Event.fromPartial(sample);
    const claim = await this.deps.deliveries.insertClaimed(
      endpointId,
      { id: event.id, type, subject: event.subject, owner: '', body: serializeBody(event) },
      this.deps.leaseMs,
      randomUUID(),
    );
    await this.deps.runner.run(claim, { retries: false });
    return this.deliveryView(claim.id);
  }

  /** One manual attempt now, then (if it fails) a fresh round of the retry schedule. */
  async replayDelivery(owner: string | null, deliveryId: string): Promise<DeliveryView> {
    const claim = await this.deps.deliveries.claimForReplay(deliveryId, owner, this.deps.leaseMs, randomUUID());
    if (!claim) {
      const existing = await this.deps.deliveries.getOwned(deliveryId, owner);
      if (!existing) throw webhookError('NOT_FOUND', `no delivery ${deliveryId} among your endpoints' deliveries`);
      if (existing.status === 'sending')
        throw webhookError('DELIVERY_IN_FLIGHT', `delivery ${deliveryId} is being sent right now; look at its attempts in a moment`);
      throw webhookError(
        'PAYLOAD_TOO_LARGE',
        `delivery ${deliveryId} has no body to send: ${existing.last_error ?? 'its event was over the size cap'}`,
      );
    }
    if (!claim.endpoint_active) {
      await this.deps.deliveries.cancel(claim, 'the endpoint is disabled; re-enable it and replay the delivery');
      throw webhookError('ENDPOINT_DISABLED', `endpoint ${claim.endpoint_id} is disabled; set active to true, then replay`);
    }
    await this.deps.runner.run(claim);
    return this.deliveryView(deliveryId);
  }

  /**
   * Queues the endpoint's failed deliveries created in [since, until), at most REPLAY_MAX of them,
   * oldest first; the worker sends them. A full answer means more may be left: call again (what was
   * queued is no longer failed). One call re-queued every one before (a helper: 20,474 rows and an
   * 800 KB answer; past about 100,000 the answer outgrows gRPC's 4 MB).
   */
  async replayFailed(owner: string | null, endpointId: string, since: Date, until: Date): Promise<string[]> {
    await this.owned(owner, endpointId);
    if (since >= until) throw webhookError('INVALID_ARGUMENT', 'start_time must be before end_time');
    const ids = await this.deps.deliveries.replayFailed(endpointId, since, until, REPLAY_MAX);
    if (ids.length > 0) this.deps.onNewDeliveries();
    return ids;
  }

  /**
   * The new secret signs at once; the one it replaces keeps signing until now + the overlap, and
   * secrets rotated out before keep their own ends, up to MAX_RETIRING_SECRETS of them.
   */
  async rotateSecret(owner: string | null, endpointId: string, overlapS: number, newSecret: string): Promise<RotatedEndpoint> {
    if (newSecret) validateSuppliedSecret(newSecret);
    if (overlapS < 0) throw webhookError('INVALID_ARGUMENT', 'overlap_seconds cannot be negative');
    const rotated = await this.deps.endpoints.rotateSecret(
      owner,
      endpointId,
      newSecret || generateSecret(),
      (overlapS || this.deps.defaultSecretOverlapS) * 1000,
      new Date(),
    );
    if (!rotated) throw notFound(endpointId);
    if (rotated.kind === 'full') throw tooManySecrets(endpointId, MAX_RETIRING_SECRETS, rotated.oldestEndsAt);
    const totals = await this.deps.deliveries.totals([endpointId]);
    return { ...rotated.endpoint, totals: totals.get(endpointId) ?? NO_TOTALS, previous_secret_expires_at: rotated.retiredUntil };
  }

  async stats(owner: string | null, endpointId: string, hours: number): Promise<EndpointStats> {
    await this.owned(owner, endpointId);
    return this.deps.deliveries.stats(endpointId, hours * 3_600_000);
  }

  private async owned(owner: string | null, id: string): Promise<Endpoint> {
    const endpoint = await this.deps.endpoints.get(owner, id);
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  private async deliveryView(id: string): Promise<DeliveryView> {
    const delivery = await this.deps.deliveries.get(id);
    if (!delivery) throw webhookError('NOT_FOUND', `delivery ${id} was removed (its endpoint was deleted)`);
    return (await this.withAttempts([delivery]))[0];
  }

  private async withAttempts(list: Delivery[]): Promise<DeliveryView[]> {
    const attempts = await this.deps.deliveries.attemptsOf(list.map((d) => d.id));
    return list.map((d) => ({ ...d, attempts_made: attempts.filter((a) => a.delivery_id === d.id) }));
  }
}

function notFound(id: string): AppError {
  return webhookError('NOT_FOUND', `no webhook endpoint ${id} among yours; list your endpoints to see their ids`);
}

const STATUSES: DeliveryStatus[] = ['pending', 'delivered', 'failed', 'cancelled'];

function checkStatus(status: string): DeliveryStatus {
  if (!STATUSES.includes(status as DeliveryStatus)) throw webhookError('INVALID_ARGUMENT', `status must be one of ${STATUSES.join(', ')}`);
  return status as DeliveryStatus;
}
