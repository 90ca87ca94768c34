import * as path from 'node:path';
import protobuf from 'protobufjs';
import type { FieldViolation } from './app_error';

/** The parts of a google.rpc.Status the suite writes and reads. */
export interface StatusDetails {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  violations: FieldViolation[];
  /** google.rpc.RetryInfo's retry_delay, whole seconds. */
  retryDelaySeconds?: number;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
// Official definitions (googleapis google/rpc), vendored next to src/ and dist/ alike.
const PROTO_DIR = path.resolve(__dirname, '../../proto');

let types: { Status: protobuf.Type; ErrorInfo: protobuf.Type; BadRequest: protobuf.Type; RetryInfo: protobuf.Type } | undefined;
function load() {
  if (!types) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('google/rpc/') ? path.join(PROTO_DIR, target) : target);
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
    root.resolveAll();
    types = {
      Status: root.lookupType('google.rpc.Status'),
      ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
      BadRequest: root.lookupType('google.rpc.BadRequest'),
      RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    };
  }
  return types;
}

const any = (type: protobuf.Type, value: Record<string, unknown>) => ({
  type_url: TYPE_URL_PREFIX + type.fullName.replace(/^\./, ''),
  value: type.encode(type.fromObject(value)).finish(),
});

/** google.rpc.Status bytes for the `grpc-status-details-bin` trailer. */
export function encodeStatus(details: StatusDetails): Buffer {
  const { Status, ErrorInfo, BadRequest, RetryInfo } = load();
  const anys = [];
  if (details.errorInfo) anys.push(any(ErrorInfo, details.errorInfo));
  if (details.violations.length > 0) anys.push(any(BadRequest, { field_violations: details.violations }));
  if (details.retryDelaySeconds !== undefined) anys.push(any(RetryInfo, { retry_delay: { seconds: details.retryDelaySeconds } }));
  return Buffer.from(Status.encode(Status.fromObject({ code: details.code, message: details.message, details: anys })).finish());
}

/** The ErrorInfo, BadRequest and RetryInfo of google.rpc.Status bytes; other detail types are skipped. Throws on bytes that are not a Status. */
export function decodeStatus(bytes: Uint8Array): StatusDetails {
  const { Status, ErrorInfo, BadRequest, RetryInfo } = load();
  const status = Status.toObject(Status.decode(bytes), { defaults: true, longs: Number }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  const out: StatusDetails = { code: status.code, message: status.message, violations: [] };
  for (const d of status.details) {
    const name = d.type_url.slice(d.type_url.lastIndexOf('/') + 1);
    if (name === 'google.rpc.ErrorInfo') {
      const info = ErrorInfo.toObject(ErrorInfo.decode(d.value), { defaults: true }) as StatusDetails['errorInfo'] & object;
      out.errorInfo = { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
    } else if (name === 'google.rpc.BadRequest') {
      const bad = BadRequest.toObject(BadRequest.decode(d.value), { defaults: true }) as { field_violations: FieldViolation[] };
      out.violations.push(...bad.field_violations.map((v) => ({ field: v.field, description: v.description })));
    } else if (name === 'google.rpc.RetryInfo') {
      const retry = RetryInfo.toObject(RetryInfo.decode(d.value), { defaults: true, longs: Number }) as {
        retry_delay?: { seconds: number };
      };
      out.retryDelaySeconds = retry.retry_delay?.seconds ?? 0;
    }
  }
  return out;
}
