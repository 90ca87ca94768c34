import type * as grpc from '@grpc/grpc-js';
import { webhooks } from '@marketpulse/proto';
import {
  assertValid,
  checkCount,
  checkInt32,
  checkText,
  checkTimestamp,
  quote,
  serveGrpc,
  type FieldViolation,
  type GrpcHandlers,
  type GrpcServiceRegistration,
  type Logger,
} from '@marketpulse/runtime';
import { WRITABLE_FIELDS, type EndpointFields, type WritableField } from '../endpoint_api/endpoint_input';
import type { WebhookApi } from '../endpoint_api/webhook_api';
import { webhookError, webhookDeliveryErrors } from '../errors';
import { deliveryToProto, endpointToProto, statsToProto } from '../proto_mapping';

/** The proto's ownership rule: an empty user_id is an operator's call. */
const ownerOf = (userId: string) => userId || null;

function fieldsOf(e: webhooks.Endpoint | undefined): EndpointFields {
  return {
    url: e?.url ?? '',
    events: e?.events ?? [],
    subjects: e?.subjects ?? [],
    active: e?.active ?? false,
    description: e?.description ?? '',
    headers: e?.headers ?? {},
    rate_limit_per_second: e?.rate_limit_per_second ?? 0,
  };
}

/** PATCH: the fields the mask names (every writable field when the mask is empty). */
function patchOf(e: webhooks.Endpoint | undefined, mask: string[]): Partial<EndpointFields> {
  const all = fieldsOf(e);
  const named = mask.length === 0 ? [...WRITABLE_FIELDS] : mask;
  const patch: Partial<EndpointFields> = {};
  for (const name of named) {
    if (name === 'secret')
      throw webhookError('INVALID_ARGUMENT', 'the secret cannot be changed by an update; call RotateSecret', 'update_mask');
    if (!(WRITABLE_FIELDS as readonly string[]).includes(name)) {
      throw webhookError(
        'INVALID_ARGUMENT',
        `update_mask names ${quote(name)}, which is not writable; use any of ${WRITABLE_FIELDS.join(', ')}`,
        'update_mask',
      );
    }
    (patch as Record<WritableField, unknown>)[name as WritableField] = all[name as WritableField];
  }
  return patch;
}

const required = (value: string, name: string) => {
  if (!value) throw webhookError('INVALID_ARGUMENT', `${name} is required`, name);
  return value;
};

/* Shape checks of the gRPC boundary (any caller: the gateway or a direct client); endpoint_input has the endpoint rules. */
const MAX_HOURS = 87_600;
const MAX_MASK_PATHS = 32;
const valid = (...checks: FieldViolation[][]) => assertValid(checks, { domain: webhookDeliveryErrors.domain });
const idCheck = (id: string, field: string) => checkText(id, { field, max: 128 });
const userCheck = (userId: string, field = 'user_id') => checkText(userId, { field, max: 256 });

function endpointChecks(e: webhooks.Endpoint | undefined): FieldViolation[] {
  if (!e) return [];
  return [
    ...idCheck(e.id, 'endpoint.id'),
    ...userCheck(e.user_id, 'endpoint.user_id'),
    ...checkCount(e.events, { field: 'endpoint.events', max: 64 }),
    ...e.events.slice(0, 64).flatMap((t, i) => checkText(t, { field: `endpoint.events[${i}]`, max: 64 })),
    ...checkText(e.secret, { field: 'endpoint.secret', max: 512 }),
    ...checkInt32(e.rate_limit_per_second, { field: 'endpoint.rate_limit_per_second', min: 0 }),
  ];
}

/** The call's deadline in epoch ms (Infinity without one). */
function deadlineOf(call: { getDeadline(): grpc.Deadline }): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

export function webhookService(api: WebhookApi, logger: Logger): GrpcServiceRegistration {
  const handlers: GrpcHandlers<webhooks.WebhookServiceServer> = {
    createEndpoint: async (req, call) => {
      valid(endpointChecks(req.endpoint));
      const owner = required(req.endpoint?.user_id ?? '', 'endpoint.user_id');
      const created = await api.createEndpoint(owner, fieldsOf(req.endpoint), req.endpoint?.secret ?? '', deadlineOf(call));
      // The receiver's host only: a URL's path or query may carry a token, and the secret never leaves the store.
      logger.info(
        {
          event: 'webhook.endpoint_created',
          endpoint_id: created.id,
          'enduser.id': owner,
          'server.address': URL.parse(created.url)?.host,
          event_types: created.event_types,
        },
        'webhook endpoint created',
      );
      return { endpoint: endpointToProto(created, { withSecret: true }) };
    },
    listEndpoints: async (req) => {
      valid(userCheck(req.user_id));
      return { endpoints: (await api.listEndpoints(ownerOf(req.user_id))).map((e) => endpointToProto(e)) };
    },
    getEndpoint: async (req) => {
      valid(idCheck(req.id, 'id'), userCheck(req.user_id));
      return { endpoint: endpointToProto(await api.getEndpoint(ownerOf(req.user_id), required(req.id, 'id'))) };
    },
    updateEndpoint: async (req, call) => {
      valid(
        endpointChecks(req.endpoint),
        userCheck(req.user_id),
        checkCount(req.update_mask, { field: 'update_mask', max: MAX_MASK_PATHS }),
      );
      const id = required(req.endpoint?.id ?? '', 'endpoint.id');
      const patch = patchOf(req.endpoint, req.update_mask ?? []);
      return { endpoint: endpointToProto(await api.updateEndpoint(ownerOf(req.user_id), id, patch, deadlineOf(call))) };
    },
    deleteEndpoint: async (req) => {
      valid(idCheck(req.id, 'id'), userCheck(req.user_id));
      await api.deleteEndpoint(ownerOf(req.user_id), required(req.id, 'id'));
      return {};
    },
    listDeliveries: async (req) => {
      valid(
        idCheck(req.endpoint_id, 'endpoint_id'),
        userCheck(req.user_id),
        checkText(req.status, { field: 'status', max: 32 }),
        checkTimestamp(req.since, { field: 'since' }),
        checkInt32(req.limit, { field: 'limit', min: 0 }),
      );
      const list = await api.listDeliveries(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), {
        status: req.status || undefined,
        since: req.since ? new Date(req.since) : undefined,
        limit: req.limit,
      });
      return { deliveries: list.map(deliveryToProto) };
    },
    sendTestEvent: async (req) => {
      valid(idCheck(req.endpoint_id, 'endpoint_id'), userCheck(req.user_id), checkText(req.event_type, { field: 'event_type', max: 64 }));
      return {
        delivery: deliveryToProto(await api.sendTestEvent(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), req.event_type)),
      };
    },
    replayDelivery: async (req) => {
      valid(idCheck(req.delivery_id, 'delivery_id'), userCheck(req.user_id));
      return { delivery: deliveryToProto(await api.replayDelivery(ownerOf(req.user_id), required(req.delivery_id, 'delivery_id'))) };
    },
    replayFailed: async (req) => {
      valid(
        idCheck(req.endpoint_id, 'endpoint_id'),
        userCheck(req.user_id),
        checkTimestamp(req.start_time, { field: 'start_time', required: true }),
        checkTimestamp(req.end_time, { field: 'end_time' }),
      );
      const since = new Date(required(req.start_time ?? '', 'start_time'));
      const until = req.end_time ? new Date(req.end_time) : new Date();
      const ids = await api.replayFailed(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), since, until);
      return { replayed_count: ids.length, delivery_ids: ids };
    },
    rotateSecret: async (req) => {
      valid(
        idCheck(req.endpoint_id, 'endpoint_id'),
        userCheck(req.user_id),
        checkInt32(req.overlap_seconds, { field: 'overlap_seconds', min: 0 }),
        checkText(req.new_secret, { field: 'new_secret', max: 512 }),
      );
      const rotated = await api.rotateSecret(
        ownerOf(req.user_id),
        required(req.endpoint_id, 'endpoint_id'),
        req.overlap_seconds,
        req.new_secret,
      );
      return {
        endpoint: endpointToProto(rotated, { withSecret: true }),
        previous_secret_expires_at: rotated.previous_secret_expires_at?.toISOString(),
      };
    },
    getEndpointStats: async (req) => {
      valid(
        idCheck(req.endpoint_id, 'endpoint_id'),
        userCheck(req.user_id),
        checkInt32(req.hours, { field: 'hours', min: 0, max: MAX_HOURS }),
      );
      const hours = req.hours || 24;
      const id = required(req.endpoint_id, 'endpoint_id');
      return { stats: statsToProto(id, hours, await api.stats(ownerOf(req.user_id), id, hours)) };
    },
  };
  return serveGrpc<webhooks.WebhookServiceServer>(webhooks.WebhookServiceService, handlers, { logger });
}
