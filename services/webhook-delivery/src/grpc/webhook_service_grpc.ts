import { webhooks } from '@marketpulse/proto';
import type { GrpcServiceRegistration, Logger } from '@marketpulse/runtime';
import { WRITABLE_FIELDS, type EndpointFields, type WritableField } from '../endpoint_api/endpoint_input';
import type { WebhookApi } from '../endpoint_api/webhook_api';
import { WebhookError } from '../errors';
import { deliveryToProto, endpointToProto, statsToProto } from './proto_mapping';
import { unary } from './grpc_errors';

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
    if (name === 'secret') throw new WebhookError('INVALID_ARGUMENT', 'the secret cannot be changed by an update; call RotateSecret');
    if (!(WRITABLE_FIELDS as readonly string[]).includes(name)) {
      throw new WebhookError('INVALID_ARGUMENT', `update_mask names ${name}, which is not writable; use any of ${WRITABLE_FIELDS.join(', ')}`);
    }
    (patch as Record<WritableField, unknown>)[name as WritableField] = all[name as WritableField];
  }
  return patch;
}

const required = (value: string, name: string) => {
  if (!value) throw new WebhookError('INVALID_ARGUMENT', `${name} is required`);
  return value;
};

export function webhookServiceRegistration(api: WebhookApi, logger: Logger): GrpcServiceRegistration {
  const implementation: webhooks.WebhookServiceServer = {
    createEndpoint: unary('CreateEndpoint', logger, async (req: webhooks.CreateEndpointRequest) => {
      const owner = required(req.endpoint?.user_id ?? '', 'endpoint.user_id');
      const created = await api.createEndpoint(owner, fieldsOf(req.endpoint), req.endpoint?.secret ?? '');
      return { endpoint: endpointToProto(created, { withSecret: true }) };
    }),
    listEndpoints: unary('ListEndpoints', logger, async (req: webhooks.ListEndpointsRequest) => ({
      endpoints: (await api.listEndpoints(ownerOf(req.user_id))).map((e) => endpointToProto(e)),
    })),
    getEndpoint: unary('GetEndpoint', logger, async (req: webhooks.GetEndpointRequest) => ({
      endpoint: endpointToProto(await api.getEndpoint(ownerOf(req.user_id), required(req.id, 'id'))),
    })),
    updateEndpoint: unary('UpdateEndpoint', logger, async (req: webhooks.UpdateEndpointRequest) => {
      const id = required(req.endpoint?.id ?? '', 'endpoint.id');
      const patch = patchOf(req.endpoint, req.update_mask ?? []);
      return { endpoint: endpointToProto(await api.updateEndpoint(ownerOf(req.user_id), id, patch)) };
    }),
    deleteEndpoint: unary('DeleteEndpoint', logger, async (req: webhooks.DeleteEndpointRequest) => {
      await api.deleteEndpoint(ownerOf(req.user_id), required(req.id, 'id'));
      return {};
    }),
    listDeliveries: unary('ListDeliveries', logger, async (req: webhooks.ListDeliveriesRequest) => {
      const list = await api.listDeliveries(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), {
        status: req.status || undefined,
        since: req.since ? new Date(req.since) : undefined,
        limit: req.limit,
      });
      return { deliveries: list.map(deliveryToProto) };
    }),
    sendTestEvent: unary('SendTestEvent', logger, async (req: webhooks.SendTestEventRequest) => ({
      delivery: deliveryToProto(await api.sendTestEvent(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), req.event_type)),
    })),
    replayDelivery: unary('ReplayDelivery', logger, async (req: webhooks.ReplayDeliveryRequest) => ({
      delivery: deliveryToProto(await api.replayDelivery(ownerOf(req.user_id), required(req.delivery_id, 'delivery_id'))),
    })),
    replayFailed: unary('ReplayFailed', logger, async (req: webhooks.ReplayFailedRequest) => {
      if (!req.start_time) throw new WebhookError('INVALID_ARGUMENT', 'start_time is required');
      const until = req.end_time ? new Date(req.end_time) : new Date();
      const ids = await api.replayFailed(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), new Date(req.start_time), until);
      return { replayed_count: ids.length, delivery_ids: ids };
    }),
    rotateSecret: unary('RotateSecret', logger, async (req: webhooks.RotateSecretRequest) => {
      const rotated = await api.rotateSecret(ownerOf(req.user_id), required(req.endpoint_id, 'endpoint_id'), req.overlap_seconds, req.new_secret);
      return {
        endpoint: endpointToProto(rotated, { withSecret: true }),
        previous_secret_expires_at: rotated.previous_secret_expires_at?.toISOString(),
      };
    }),
    getEndpointStats: unary('GetEndpointStats', logger, async (req: webhooks.GetEndpointStatsRequest) => {
      const hours = req.hours || 24;
      const id = required(req.endpoint_id, 'endpoint_id');
      return { stats: statsToProto(id, hours, await api.stats(ownerOf(req.user_id), id, hours)) };
    }),
  };
  return { definition: webhooks.WebhookServiceService, implementation };
}
