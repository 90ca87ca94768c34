import type { RetiringSecret } from '../store/records';

/**
 * Rotated-out secrets one endpoint may have signing at once. Each is one more HMAC per attempt
 * and one more signature in the header; five covers a client retrying a timed-out rotate a few
 * times, and a refusal names when room frees, so nothing a receiver was promised is ever dropped.
 */
export const MAX_RETIRING_SECRETS = 5;

export interface SigningSecrets {
  secret: string;
  retiring_secrets: RetiringSecret[];
}

export function stillSigning(retiring: RetiringSecret[], now: Date): RetiringSecret[] {
  return retiring.filter((r) => new Date(r.expires_at) > now);
}

/** The secrets that sign right now: the current one, then every rotated-out one whose overlap lasts. */
export function activeSecrets(s: SigningSecrets, now: Date): string[] {
  return [s.secret, ...stillSigning(s.retiring_secrets, now).map((r) => r.secret)];
}

export type RotationPlan =
  /** `retiredUntil`: when the secret this rotation took out stops signing. */
  | { kind: 'rotated'; retiring: RetiringSecret[]; retiredUntil: Date }
  /** The new secret is the current one already (a retried rotate with a supplied secret): nothing changes. */
  | { kind: 'unchanged'; retiredUntil: Date | null }
  | { kind: 'full'; oldestEndsAt: Date };

/**
 * What rotating to `next` does: the current secret joins the rotated-out ones with its own end, and
 * those whose end has passed are forgotten. Each keeps the end its own rotation promised, so a
 * second rotate (at once, or within the overlap) never cuts an earlier one short.
 */
export function planRotation(
  current: SigningSecrets,
  next: string,
  now: Date,
  overlapMs: number,
  max = MAX_RETIRING_SECRETS,
): RotationPlan {
  const live = stillSigning(current.retiring_secrets, now);
  if (next === current.secret) {
    const ends = live.map((r) => new Date(r.expires_at).getTime());
    return { kind: 'unchanged', retiredUntil: ends.length > 0 ? new Date(Math.max(...ends)) : null };
  }
  // Rotating back to a secret still in its overlap makes it current again rather than signing twice.
  const kept = live.filter((r) => r.secret !== next);
  if (kept.length >= max) {
    return { kind: 'full', oldestEndsAt: new Date(Math.min(...kept.map((r) => new Date(r.expires_at).getTime()))) };
  }
  const retiredUntil = new Date(now.getTime() + overlapMs);
  return { kind: 'rotated', retiring: [...kept, { secret: current.secret, expires_at: retiredUntil.toISOString() }], retiredUntil };
}
