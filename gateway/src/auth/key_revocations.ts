/**
 * How holders of API-key principals (open WebSocket connections) learn that a key stopped being
 * live: at once for keys revoked through this instance, and by asking every `recheckMs` for keys
 * revoked through another instance (or expired) since they were checked.
 */
export interface KeyRevocations {
  /** Calls `listener` with a key's id right after it is revoked here; returns a function that stops the calls. */
  onRevoked(listener: (keyId: string) => void): () => void;
  /** Of `keyIds`, those naming no live key (revoked, expired or unknown), in one look-up. */
  deadKeys(keyIds: readonly string[]): Promise<string[]>;
  /** How often to ask deadKeys about the keys behind open connections (WS_API_KEY_RECHECK_SECONDS); 0: never. */
  readonly recheckMs: number;
}
