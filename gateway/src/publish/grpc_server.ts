import * as grpc from '@grpc/grpc-js';
import { events, realtime } from '@marketpulse/proto';
import { grpcError, startGrpcServer, type GrpcServerHandle, type Logger } from '@marketpulse/runtime';
import { forbidden, toApiError, unauthenticated, validationError, type ApiError } from '../api/errors';
import { AuthError, hasScope, type Authenticator, type Principal } from '../auth';
import type { EventPublisher } from './publisher';
import { fromEvent } from './to_event';

export interface PublishGrpcOptions {
  /** PUBLISH_GRPC_PORT (50050); 0 picks a free port. */
  port: number;
  host?: string;
  publisher: EventPublisher;
  /** The same credentials as REST: `authorization: Bearer <JWT or API key>` or `x-api-key` metadata. */
  authenticator: Authenticator;
  logger: Logger;
}

async function principalOf(metadata: grpc.Metadata, authenticator: Authenticator): Promise<Principal> {
  const auth = metadata.get('authorization')[0] ?? metadata.get('x-api-key')[0];
  if (typeof auth !== 'string' || auth === '') throw unauthenticated('authentication required: send authorization: Bearer <JWT> or x-api-key metadata');
  const credential = auth.replace(/^Bearer\s+/i, '').trim();
  try {
    return await authenticator.verify(credential);
  } catch (err) {
    if (err instanceof AuthError) throw unauthenticated(err.message);
    throw err;
  }
}

function toServiceError(err: ApiError): grpc.ServiceError {
  return grpcError(err.grpcStatus, err.message, { appCode: err.appCode, ...(err.details ? { fields: err.details } : {}) });
}

/**
 * realtime.PublishService: internal services outside the suite publish their events here, checked
 * against the contracts like POST /api/v1/publish, and they reach every door and webhook.
 */
export async function startPublishGrpc(options: PublishGrpcOptions): Promise<GrpcServerHandle> {
  const { publisher, authenticator, logger } = options;

  async function publish(metadata: grpc.Metadata, items: (events.Event | undefined)[]): Promise<events.Event[]> {
    const principal = await principalOf(metadata, authenticator);
    if (!hasScope(principal, 'publish')) throw forbidden('publish');
    if (items.length === 0 || items.some((e) => e === undefined)) {
      throw validationError([{ field: items.length === 1 ? 'event' : 'events', message: 'expected at least one event to publish' }]);
    }
    return publisher.publish((items as events.Event[]).map(fromEvent), principal.userId);
  }

  const unary =
    <Req, Res>(run: (req: Req, metadata: grpc.Metadata) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      run(call.request, call.metadata).then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(toApiError(err, (e) => logger.error({ err: e }, 'unexpected error in PublishService')))),
      );
    };

  const implementation: realtime.PublishServiceServer = {
    publish: unary(async (req: realtime.PublishRequest, md) => {
      const [event] = await publish(md, [req.event]);
      return { event };
    }),
    publishBatch: unary(async (req: realtime.PublishBatchRequest, md) => ({ events: await publish(md, req.events) })),
  };

  return startGrpcServer({
    port: options.port,
    host: options.host,
    services: [{ definition: realtime.PublishServiceService, implementation }],
    logger,
  });
}
