import { createHmac } from 'node:crypto';
import { secretKey } from './secret';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the Standard Webhooks signature. */
export function signatureFor(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers for one attempt. After a secret rotation `secrets` holds the new
 * one and every rotated-out one still in its overlap; the receiver accepts a request when any one
 * signature matches.
 */
export function signRequest(secrets: string[], messageId: string, sentAt: Date, body: string): SignedHeaders {
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => signatureFor(s, messageId, timestamp, body)).join(' '),
  };
}
