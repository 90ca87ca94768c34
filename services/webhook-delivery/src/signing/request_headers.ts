import { activeSecrets, type SigningSecrets } from './retiring_secrets';
import { signRequest } from './sign_request';

export const USER_AGENT = 'Marketpulse-Webhooks/1.0';

/** Headers the service sets itself; an endpoint's custom headers may not replace them. */
export const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'connection',
  'transfer-encoding',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'traceparent',
  'tracestate',
]);

/** Where a request is signed: custom headers first, then ours, so ours always win. */
export function buildRequestHeaders(args: {
  custom: Record<string, string>;
  secrets: SigningSecrets;
  messageId: string;
  body: string;
  sentAt: Date;
  trace: Record<string, string>;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(args.custom)) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  return {
    ...headers,
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...signRequest(activeSecrets(args.secrets, args.sentAt), args.messageId, args.sentAt, args.body),
    ...args.trace,
  };
}
