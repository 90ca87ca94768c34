import * as grpc from '@grpc/grpc-js';
import type { FieldViolation } from '../errors/app_error';
import { APP_ERROR_CODE_KEY, APP_ERROR_DETAILS_KEY, STATUS_DETAILS_KEY } from '../errors/grpc_status';
import { decodeStatus } from '../errors/status_codec';

export interface ReadGrpcError {
  code: grpc.status;
  /** The reason (kept under its old name for callers written before google.rpc.Status). */
  appCode: string;
  /** ErrorInfo.reason; the gRPC status name when the server sent no details (e.g. a connection failure). */
  reason: string;
  /** ErrorInfo.domain; '' when the server sent no details. */
  domain: string;
  message: string;
  /** BadRequest.field_violations. */
  violations: FieldViolation[];
  /** ErrorInfo.metadata. */
  metadata: Record<string, string>;
  /** ErrorInfo.metadata again, when it has entries: the facts a client can act on. */
  fields?: Record<string, unknown>;
}

function detailsOf(metadata: grpc.Metadata | undefined): Omit<ReadGrpcError, 'code' | 'appCode' | 'message' | 'fields'> | undefined {
  const bin = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (bin instanceof Uint8Array) {
    try {
      const s = decodeStatus(bin);
      if (s.errorInfo)
        return { reason: s.errorInfo.reason, domain: s.errorInfo.domain, metadata: s.errorInfo.metadata, violations: s.violations };
    } catch {
      // Not a google.rpc.Status (a foreign server): fall through to the text trailers.
    }
  }
  const reason = metadata?.get(APP_ERROR_CODE_KEY)[0];
  if (typeof reason !== 'string') return undefined;
  const raw = metadata?.get(APP_ERROR_DETAILS_KEY)[0];
  let parsed: Partial<{ domain: string; metadata: Record<string, string>; violations: FieldViolation[] }> = {};
  try {
    if (typeof raw === 'string') parsed = JSON.parse(raw) as typeof parsed;
  } catch {
    parsed = {};
  }
  return { reason, domain: parsed.domain ?? '', metadata: parsed.metadata ?? {}, violations: parsed.violations ?? [] };
}

/** Duck-typed: a Metadata of another copy of grpc-js is read the same way. */
export const isMetadata = (m: unknown): m is grpc.Metadata => typeof (m as grpc.Metadata | undefined)?.get === 'function';

/** The parts of an error received by a gRPC client (status, google.rpc.Status details), for mapping at the edge. */
export function readGrpcError(err: unknown): ReadGrpcError {
  const e = (err ?? {}) as Partial<grpc.ServiceError>;
  const code = typeof e.code === 'number' ? e.code : grpc.status.UNKNOWN;
  const details = detailsOf(isMetadata(e.metadata) ? e.metadata : undefined) ?? {
    reason: grpc.status[code] ?? 'UNKNOWN',
    domain: '',
    metadata: {},
    violations: [],
  };
  return {
    code,
    appCode: details.reason,
    ...details,
    message: e.details ?? (err instanceof Error ? err.message : String(err)),
    ...(Object.keys(details.metadata).length > 0 ? { fields: { ...details.metadata } } : {}),
  };
}
