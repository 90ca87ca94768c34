import * as grpc from '@grpc/grpc-js';
import { events, realtime } from '@marketpulse/proto';
import { AppError, serveGrpc, startGrpcServer, type GrpcServerHandle, type Logger } from '@marketpulse/runtime';
import { ApiError, forbidden, rateLimited, unauthenticated, validationError } from '../errors';
import type { RateLimiter } from '../rate_limit';
import { hasScope, type Authenticator, type Principal } from '../auth';
import { admit } from '../auth_http';
import { clientAddress, type TrustedProxies } from '../http/client_address';
import type { EventPublisher } from '../events/publish_contracts';
import { checkWholeEvent } from './entry_checks';
import { fromEvent } from './to_event';
import { logRefusal } from '../observability/refusal_log';

export interface PublishGrpcOptions {
  /** PUBLISH_GRPC_PORT (50050); 0 picks a free port. */
  port: number;
  host?: string;
  publisher: EventPublisher;
  /** The same credentials as REST: `authorization: Bearer <JWT or API key>` or `x-api-key` metadata. */
  authenticator: Authenticator;
  /** The API's limiter, the same budget as REST and tRPC: each call is charged to its verified user, else to its address. */
  limiter: RateLimiter;
  /** TRUSTED_PROXIES: behind one of them the caller's address is the client its forwarded metadata names. */
  trustedProxies: TrustedProxies;
  logger: Logger;
}

/** The address of a grpc-js peer (`1.2.3.4:5678`, `[::1]:5678`). */
const addressOf = (peer: string) => /^\[?(.*?)\]?:\d+$/.exec(peer)?.[1] ?? peer;

/** A metadata entry's text values, in order: client_address reads repeated ones as Node's repeated header lines. */
const headerOf = (metadata: grpc.Metadata, key: string) => metadata.get(key).filter((v): v is string => typeof v === 'string');

/**
 * The caller's address by the HTTP edges' rule (http/client_address.ts): the TCP peer, or behind a
 * TRUSTED_PROXIES balancer the client its `forwarded` / `x-forwarded-for` metadata names.
 */
function callerAddress(metadata: grpc.Metadata, peer: string, trusted: TrustedProxies): string {
  return clientAddress(
    {
      socket: { remoteAddress: addressOf(peer) },
      headers: { forwarded: headerOf(metadata, 'forwarded'), 'x-forwarded-for': headerOf(metadata, 'x-forwarded-for') },
    },
    trusted,
  );
}

/**
 * The verified caller, charged as REST and tRPC charge theirs (auth_http/admission.ts, one budget
 * shared with them): its user, else its address, and its address before a key's database look-up.
 */
async function principalOf(metadata: grpc.Metadata, peer: string, options: PublishGrpcOptions): Promise<Principal> {
  const { authenticator, limiter, logger } = options;
  const auth = metadata.get('authorization')[0] ?? metadata.get('x-api-key')[0];
  const credential = typeof auth === 'string' ? auth.replace(/^Bearer\s+/i, '').trim() : '';
  const address = callerAddress(metadata, peer, options.trustedProxies);
  const admission = await admit(credential || undefined, address, 1, authenticator, limiter);
  if (!admission.decision.allowed) throw rateLimited(admission.decision.retryAfterSeconds);
  if (admission.principal) return admission.principal;
  const reason = admission.authError ?? 'authentication required: send authorization: Bearer <JWT> or x-api-key metadata';
  logRefusal(logger, { transport: 'grpc', kind: 'unauthenticated', reason });
  throw unauthenticated(reason);
}

/** Domain of the reasons the gateway's API table gives (UNAUTHENTICATED, FORBIDDEN, INVALID_ARGUMENT, DUPLICATE_EVENT, ...). */
const GATEWAY_DOMAIN = 'marketpulse.gateway';
const REASON = /^[A-Z][A-Z0-9_]{0,62}$/;
const FACT_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** An ApiError (auth, the event contracts) in the runtime's error model, which serveGrpc sends as google.rpc.Status. */
function asAppError(err: ApiError): AppError {
  const { fields, ...facts } = err.details ?? {};
  const metadata = Object.fromEntries(
    Object.entries(facts)
      .filter(([k, v]) => FACT_KEY.test(k) && v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  return new AppError(err.grpcStatus, REASON.test(err.appCode) ? err.appCode : grpc.status[err.grpcStatus], err.message, {
    domain: GATEWAY_DOMAIN,
    violations: (fields ?? []).map((f) => ({ field: f.field, description: f.message })),
    metadata,
    ...(err.details?.retry_after_seconds === undefined ? {} : { retryAfterSeconds: err.details.retry_after_seconds }),
    cause: err,
  });
}

/** Runs `fn`, giving ApiErrors the runtime's shape; anything else is serveGrpc's to classify and log. */
async function asApp<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof ApiError ? asAppError(err) : err;
  }
}

/**
 * realtime.PublishService: internal services outside the suite publish their events here, checked
 * against the contracts like POST /api/v1/publish, and they reach every door and webhook (an owned
 * one, Event.owner, its owner's only).
 */
export async function startPublishGrpc(options: PublishGrpcOptions): Promise<GrpcServerHandle> {
  const { publisher, logger } = options;

  async function publish(metadata: grpc.Metadata, peer: string, items: (events.Event | undefined)[]): Promise<events.Event[]> {
    const principal = await principalOf(metadata, peer, options);
    if (!hasScope(principal, 'publish')) {
      logRefusal(logger, { transport: 'grpc', kind: 'forbidden', reason: "lacks the 'publish' scope", principal, needed: 'publish' });
      throw forbidden('publish');
    }
    if (items.length === 0 || items.some((e) => e === undefined)) {
      throw validationError([{ field: items.length === 1 ? 'event' : 'events', message: 'expected at least one event to publish' }]);
    }
    return publisher.publish((items as events.Event[]).map(fromEvent), checkWholeEvent, principal.userId, {
      anyOwner: hasScope(principal, 'publish:any-owner'),
    });
  }

  const service = serveGrpc<realtime.PublishServiceServer>(
    realtime.PublishServiceService,
    {
      publish: (req, call) =>
        asApp(async () => {
          const [event] = await publish(call.metadata, call.getPeer(), [req.event]);
          return { event };
        }),
      publishBatch: (req, call) => asApp(async () => ({ events: await publish(call.metadata, call.getPeer(), req.events) })),
    },
    { logger },
  );

  return startGrpcServer({ port: options.port, host: options.host, services: [service], logger });
}
