import type { FieldViolation } from './app_error';
import { hasLoneSurrogate } from './safe_text';

const MAX_VIOLATIONS = 20;

/**
 * Every string of a decoded request that no field may hold: NUL (PostgreSQL text, C strings and
 * HTTP headers cannot carry it) and lone surrogates. Fields add their own rules on top.
 */
export function textViolations(value: unknown, path = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  const visit = (v: unknown, at: string) => {
    if (out.length >= MAX_VIOLATIONS) return;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) out.push({ field: at || '(request)', description: 'must not contain NUL characters' });
      else if (hasLoneSurrogate(v)) out.push({ field: at || '(request)', description: 'must be valid Unicode text (no lone surrogates)' });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${at}[${i}]`));
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Date)) {
      for (const [k, item] of Object.entries(v)) visit(item, at ? `${at}.${k}` : k);
    }
  };
  visit(value, path);
  return out;
}
