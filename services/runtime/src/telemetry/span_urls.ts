import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { isCredentialName } from '../config/credential_names';

/**
 * Query parameters a client may carry a credential in: the gateway's own (`token`, `api_key`, the
 * browser SDK's `connectionParams`) and the usual names of others'. Their values never reach a span.
 */
const isCredentialParam = (name: string) => isCredentialName(name) || /connectionparams/i.test(name);

const REDACTED = 'REDACTED';

/** `query` (without `?`) with the values of `redact`'s parameters replaced. */
export function redactQuery(query: string, redact: (name: string) => boolean): string {
  const params = new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const [name, value] of params) out.append(name, redact(name) ? REDACTED : value);
  return out.toString();
}

/**
 * A server span's `url.query` without credentials: the instrumentation redacts only a fixed list
 * of cloud signature names, so `?token=<JWT>` and the SDK's `?connectionParams={"token":…}` were
 * recorded whole for anyone reading traces.
 */
export function redactServerSpanQuery(span: Span, req: IncomingMessage): void {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  if (at >= 0) span.setAttribute('url.query', redactQuery(url.slice(at + 1), isCredentialParam));
}

/**
 * A client span's `url.full` with every query value redacted: the URL is a webhook receiver's or a
 * monitored provider's, whose parameters we cannot tell apart (`?rtoken=…`, `?apikey=…`).
 */
export function redactClientSpanUrl(span: Span, req: ClientRequest): void {
  const at = req.path.indexOf('?');
  if (at < 0) return;
  const host = req.getHeader('host') ?? req.host;
  const path = `${req.path.slice(0, at)}?${redactQuery(req.path.slice(at + 1), () => true)}`;
  span.setAttribute('url.full', `${req.protocol}//${String(host)}${path}`);
}
