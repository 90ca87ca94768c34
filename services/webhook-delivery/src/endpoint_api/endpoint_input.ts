import type { AddressGuard } from '../address_guard/address_guard';
import { assertValid, checkText, HIDDEN_HEADER_VALUE, quote } from '@marketpulse/runtime';
import { webhookError, webhookDeliveryErrors } from '../errors';
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
const MAX_SUBJECT_LENGTH = 256;
const MAX_HEADER_NAME_LENGTH = 256;
const MAX_HEADER_VALUE_LENGTH = 4096;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\xa0-\xff]*$/;

/** Checks the URL's form and where it resolves to (the SSRF guard), answering before `deadline` (epoch ms). */
export async function checkUrl(url: string, guard: AddressGuard, deadline = Infinity): Promise<string> {
  if (url.length > MAX_URL_LENGTH)
    throw webhookError('INVALID_URL', `the URL is ${url.length} characters long; at most ${MAX_URL_LENGTH} are allowed`, 'endpoint.url');
  assertValid([checkText(url, { field: 'endpoint.url', max: MAX_URL_LENGTH, required: true })], {
    reason: 'INVALID_URL',
    domain: webhookDeliveryErrors.domain,
  });
  await guard.vet(url, deadline);
  return url;
}

/** Stored form: an empty list stands for every type. */
export function checkEventTypes(types: string[]): string[] {
  const unique = [...new Set(types.map((t) => t.trim()))];
  if (unique.length === 0 || unique.includes('*')) return [];
  const unknown = unique.filter((t) => !DELIVERABLE_EVENT_TYPES.includes(t));
  if (unknown.length > 0) {
    throw webhookError(
      'INVALID_EVENT_TYPE',
      `unknown event type(s) ${unknown.map((t) => quote(t)).join(', ')}; use "*" for all or any of: ${DELIVERABLE_EVENT_TYPES.join(', ')}`,
      'endpoint.events',
    );
  }
  return unique;
}

export function checkSubjects(subjects: string[]): string[] {
  const unique = [...new Set(subjects.map((s) => s.trim()).filter((s) => s.length > 0))];
  if (unique.length > MAX_SUBJECTS)
    throw webhookError('INVALID_ARGUMENT', `at most ${MAX_SUBJECTS} subjects may be listed`, 'endpoint.subjects');
  assertValid(
    unique.map((s, i) => checkText(s, { field: `endpoint.subjects[${i}]`, max: MAX_SUBJECT_LENGTH })),
    { domain: webhookDeliveryErrors.domain },
  );
  return unique;
}

export function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS)
    throw webhookError('INVALID_ARGUMENT', `at most ${MAX_HEADERS} custom headers are allowed`, 'endpoint.headers');
  for (const [name, value] of entries) {
    const field = `endpoint.headers.${name.length <= MAX_HEADER_NAME_LENGTH && HEADER_NAME.test(name) ? name : '(name)'}`;
    if (name.length > MAX_HEADER_NAME_LENGTH || !HEADER_NAME.test(name))
      throw webhookError('INVALID_ARGUMENT', `${quote(name)} is not a valid HTTP header name`, field);
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw webhookError('INVALID_ARGUMENT', `the header ${name} is set by the service and cannot be customised`, field);
    if (value.length > MAX_HEADER_VALUE_LENGTH)
      throw webhookError('INVALID_ARGUMENT', `the value of header ${name} may be at most ${MAX_HEADER_VALUE_LENGTH} characters`, field);
    if (value === HIDDEN_HEADER_VALUE)
      throw webhookError('INVALID_ARGUMENT', `the header ${name} has the placeholder shown for a hidden value: send its value`, field);
    // What an HTTP/1.1 field value can carry (Node refuses the rest when sending): tab, visible ASCII, Latin-1.
    if (!HEADER_VALUE.test(value)) {
      throw webhookError(
        'INVALID_ARGUMENT',
        `the value of header ${name} has a control character or a character outside Latin-1; percent- or base64-encode it`,
        field,
      );
    }
  }
  return headers;
}

export function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH)
    throw webhookError('INVALID_ARGUMENT', `the description may be at most ${MAX_DESCRIPTION_LENGTH} characters`, 'endpoint.description');
  assertValid([checkText(description, { field: 'endpoint.description', max: MAX_DESCRIPTION_LENGTH, multiline: true })], {
    domain: webhookDeliveryErrors.domain,
  });
  return description;
}

/** Stored form: null for unlimited. */
export function checkRateLimit(perSecond: number): number | null {
  if (!Number.isInteger(perSecond) || perSecond < 0 || perSecond > MAX_RATE_LIMIT) {
    throw webhookError(
      'INVALID_ARGUMENT',
      `rate_limit_per_second must be a whole number from 0 (unlimited) to ${MAX_RATE_LIMIT}`,
      'endpoint.rate_limit_per_second',
    );
  }
  return perSecond === 0 ? null : perSecond;
}
