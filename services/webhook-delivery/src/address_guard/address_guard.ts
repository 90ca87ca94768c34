import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '@marketpulse/runtime';
import { webhookError } from '../errors';
import { classifyAddress } from './address_ranges';

export interface AddressGuardOptions {
  allowLoopback: boolean;
  /** Private, carrier-grade NAT and link-local ranges. */
  allowPrivate: boolean;
  dnsTimeoutMs?: number;
}

export interface ResolvedTarget {
  url: URL;
  /** The vetted address the request must connect to, so a second DNS answer cannot swap it. */
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Left of a caller's deadline for the refusal to reach it. */
const DEADLINE_MARGIN_MS = 250;

/** Checks the form of an endpoint URL: absolute, http or https, a host, no credentials. */
export function parseEndpointUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw webhookError('INVALID_URL', `"${raw}" is not an absolute URL; give one such as https://example.com/webhooks`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw webhookError('INVALID_URL', `webhook URLs must use http or https, not ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) {
    throw webhookError('INVALID_URL', 'webhook URLs may not carry credentials; send them as a custom header instead');
  }
  return url;
}

/**
 * Where an address is vetted: resolves the URL's host and refuses it when any address it resolves
 * to is loopback, private, link-local or reserved and configuration does not allow that class.
 */
export class AddressGuard {
  constructor(
    private readonly options: AddressGuardOptions,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /**
   * `deadline` (epoch ms): the caller's, when one waits. The look-up gives up in time to answer
   * before it, so a slow resolver is the caller's clear INVALID_URL rather than its own timeout
   * (the gateway waits 3 s, the look-up's own bound is 5 s).
   */
  async vet(raw: string, deadline = Infinity): Promise<ResolvedTarget> {
    const url = parseEndpointUrl(raw);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await this.lookup(host, deadline);
    if (addresses.length === 0) throw webhookError('INVALID_URL', `${host} does not resolve to any address`);
    for (const { address } of addresses) this.check(host, address);
    const first = addresses[0];
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  private check(host: string, address: string): void {
    const kind = classifyAddress(address);
    if (kind === null) return;
    if (kind === 'loopback' && this.options.allowLoopback) return;
    if ((kind === 'private' || kind === 'link-local') && this.options.allowPrivate) return;
    const setting =
      kind === 'loopback'
        ? ' (set WEBHOOK_ALLOW_LOOPBACK=true to allow it)'
        : kind === 'reserved'
          ? ''
          : ' (set WEBHOOK_ALLOW_PRIVATE=true to allow it)';
    const shown = host === address ? address : `${host} (${address})`;
    throw webhookError(
      'URL_FORBIDDEN',
      `webhook URL points to the ${kind} address ${shown}, which is refused to protect internal services${setting}`,
    );
  }

  private async lookup(host: string, deadline: number): Promise<{ address: string; family: number }[]> {
    const timeoutMs = Math.max(0, Math.min(this.options.dnsTimeoutMs ?? 5000, Math.floor(deadline - Date.now() - DEADLINE_MARGIN_MS)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(webhookError('INVALID_URL', `resolving ${host} took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.resolve(host), timeout]);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw webhookError('INVALID_URL', `${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    } finally {
      clearTimeout(timer);
    }
  }
}
