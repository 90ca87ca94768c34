import * as grpc from '@grpc/grpc-js';

/** Metadata key carrying the stable application error code (e.g. RULE_NOT_FOUND). */
export const APP_ERROR_CODE_KEY = 'mp-error-code';
/** Metadata key carrying optional JSON details (field errors, ids) for clients to act on. */
export const APP_ERROR_DETAILS_KEY = 'mp-error-details';

export interface GrpcErrorDetails {
  /** Stable, machine-readable code; defaults to the gRPC status name (NOT_FOUND, ...). */
  appCode?: string;
  /** Extra facts a client can act on (offending field, resource id, ...); sent as JSON. */
  fields?: Record<string, unknown>;
}

/** A ServiceError to pass to a unary callback or emit on a stream. */
export function grpcError(code: grpc.status, message: string, details: GrpcErrorDetails = {}): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(APP_ERROR_CODE_KEY, details.appCode ?? grpc.status[code]);
  if (details.fields) metadata.set(APP_ERROR_DETAILS_KEY, JSON.stringify(details.fields));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

export interface ReadGrpcError {
  code: grpc.status;
  appCode: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** The parts of an error received by a client, for mapping to HTTP/JSON errors at the edge. */
export function readGrpcError(err: unknown): ReadGrpcError {
  const e = err as Partial<grpc.ServiceError>;
  const code = typeof e.code === 'number' ? e.code : grpc.status.UNKNOWN;
  const appCode = e.metadata?.get(APP_ERROR_CODE_KEY)[0];
  const rawFields = e.metadata?.get(APP_ERROR_DETAILS_KEY)[0];
  let fields: Record<string, unknown> | undefined;
  if (typeof rawFields === 'string') {
    try {
      fields = JSON.parse(rawFields) as Record<string, unknown>;
    } catch {
      fields = undefined;
    }
  }
  return {
    code,
    appCode: typeof appCode === 'string' ? appCode : grpc.status[code],
    message: e.details ?? (err instanceof Error ? err.message : String(err)),
    ...(fields ? { fields } : {}),
  };
}
