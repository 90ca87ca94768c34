import type { AddressGuard } from '../address_guard/address_guard';
import { WebhookError } from '../errors';
import { DELIVERABLE_EVENT_TYPES } from '../payload/event_types';
import { RESERVED_HEADERS } from '../signing/request_headers';

/** The writable fields of an endpoint, as a caller gives them. */
export interface EndpointFields {
  url: string;
  /** Event types, or ["*"] / [] for all. */
  events: string[];
  subjects: string[];
  active: boolean;
  description: string;
  headers: Record<string, string>;
  /** 0: unlimited. */
  rate_limit_per_second: number;
}

export const WRITABLE_FIELDS = ['url', 'events', 'subjects', 'active', 'description', 'headers', 'rate_limit_per_second'] as const;
export type WritableField = (typeof WRITABLE_FIELDS)[number];

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 1000;
const MAX_HEADERS = 20;
const MAX_SUBJECTS = 1000;
const MAX_RATE_LIMIT = 10_000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Checks the URL's form and where it resolves to (the SSRF guard). */
export async function checkUrl(url: string, guard: AddressGuard): Promise<string> {
  if (url.length > MAX_URL_LENGTH) throw new WebhookError('INVALID_URL', `the URL is ${url.length} characters long; at most ${MAX_URL_LENGTH} are allowed`);
  await guard.vet(url);
  return url;
}

/** Stored form: an empty list stands for every type. */
export function checkEventTypes(types: string[]): string[] {
  const unique = [...new Set(types.map((t) => t.trim()))];
  if (unique.length === 0 || unique.includes('*')) return [];
  const unknown = unique.filter((t) => !DELIVERABLE_EVENT_TYPES.includes(t));
  if (unknown.length > 0) {
    throw new WebhookError('INVALID_EVENT_TYPE', `unknown event type(s) ${unknown.join(', ')}; use "*" for all or any of: ${DELIVERABLE_EVENT_TYPES.join(', ')}`);
  }
  return unique;
}

export function checkSubjects(subjects: string[]): string[] {
  const unique = [...new Set(subjects.map((s) => s.trim()).filter((s) => s.length > 0))];
  if (unique.length > MAX_SUBJECTS) throw new WebhookError('INVALID_ARGUMENT', `at most ${MAX_SUBJECTS} subjects may be listed`);
  return unique;
}

export function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) throw new WebhookError('INVALID_ARGUMENT', `at most ${MAX_HEADERS} custom headers are allowed`);
  for (const [name, value] of entries) {
    if (!HEADER_NAME.test(name)) throw new WebhookError('INVALID_ARGUMENT', `"${name}" is not a valid HTTP header name`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new WebhookError('INVALID_ARGUMENT', `the header ${name} is set by the service and cannot be customised`);
    if (/[\r\n\0]/.test(value)) throw new WebhookError('INVALID_ARGUMENT', `the value of header ${name} contains a line break or NUL`);
  }
  return headers;
}

export function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) throw new WebhookError('INVALID_ARGUMENT', `the description may be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  return description;
}

/** Stored form: null for unlimited. */
export function checkRateLimit(perSecond: number): number | null {
  if (!Number.isInteger(perSecond) || perSecond < 0 || perSecond > MAX_RATE_LIMIT) {
    throw new WebhookError('INVALID_ARGUMENT', `rate_limit_per_second must be a whole number from 0 (unlimited) to ${MAX_RATE_LIMIT}`);
  }
  return perSecond === 0 ? null : perSecond;
}
