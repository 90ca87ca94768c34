import type { Logger } from '@marketpulse/runtime';
import type { KeyRevocations, Principal } from '../auth';

/** A connection as KeySessions sees it. */
export interface KeyHolder {
  readonly principal: Principal | undefined;
  /** The API key behind `principal` stopped being live: end the connection. */
  keyRevoked(): void;
}

/**
 * The open connections authenticated by a stored API key, by key id, so that revoking a key ends
 * them: at once when it is revoked through this instance, and within `recheckMs` when it is
 * revoked through another one (one query per interval for every key held open). Only API-key
 * connections are indexed; the rest cost nothing here.
 */
export class KeySessions {
  private readonly byKey = new Map<string, Set<KeyHolder>>();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly stopListening: (() => void) | undefined;
  private checking = false;

  constructor(
    private readonly revocations: KeyRevocations | undefined,
    private readonly logger: Logger,
  ) {
    if (!revocations) return;
    this.stopListening = revocations.onRevoked((keyId) => this.revoked(keyId));
    if (revocations.recheckMs > 0) {
      this.timer = setInterval(() => void this.recheck(), revocations.recheckMs);
      this.timer.unref();
    }
  }

  /** Number of distinct keys behind open connections. */
  get keyCount(): number {
    return this.byKey.size;
  }

  /** Indexes `holder` under its principal's key, if it has one; call after the principal is set. */
  add(holder: KeyHolder): void {
    const keyId = holder.principal?.keyId;
    if (keyId === undefined || !this.revocations) return;
    const held = this.byKey.get(keyId);
    if (held) held.add(holder);
    else this.byKey.set(keyId, new Set([holder]));
  }

  /** Drops `holder` from its principal's key; call before the principal changes and once it closes. */
  remove(holder: KeyHolder): void {
    const keyId = holder.principal?.keyId;
    if (keyId === undefined) return;
    const held = this.byKey.get(keyId);
    if (!held?.delete(holder)) return;
    if (held.size === 0) this.byKey.delete(keyId);
  }

  /** Ends every connection `keyId` authenticated. */
  revoked(keyId: string): void {
    const held = this.byKey.get(keyId);
    if (!held) return;
    this.byKey.delete(keyId);
    for (const holder of held) holder.keyRevoked();
    this.logger.info({ key_id: keyId, connections: held.size }, 'closed the connections of a revoked API key');
  }

  /**
   * Asks once which held keys are no longer live and ends their connections. A failed look-up
   * keeps every connection open (a database hiccup must not disconnect every client) and is
   * retried next interval.
   */
  async recheck(): Promise<void> {
    if (this.checking || this.byKey.size === 0 || !this.revocations) return;
    this.checking = true;
    try {
      const dead = await this.revocations.deadKeys([...this.byKey.keys()]);
      for (const keyId of dead) this.revoked(keyId);
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err), keys: this.byKey.size },
        'cannot re-check the API keys of open connections; they stay open until the next re-check',
      );
    } finally {
      this.checking = false;
    }
  }

  /** Stops listening and re-checking (gateway shutdown). */
  stop(): void {
    clearInterval(this.timer);
    this.stopListening?.();
    this.byKey.clear();
  }
}
