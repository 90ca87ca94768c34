/**
 * Parses WS_API_KEYS: comma-separated `key=pattern pattern ...` entries; a key without `=` reads
 * every channel (e.g. `mpk_dev,mpk_md=market-data:* alerts`).
 */
export function parseApiKeys(spec: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key, patterns] = entry.split('=', 2) as [string, string | undefined];
    keys.set(key.trim(), patterns === undefined ? ['*'] : patterns.trim().split(/\s+/).filter(Boolean));
  }
  return keys;
}
