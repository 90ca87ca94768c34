/** Where register.js leaves the SDK's flush, for processes that exit on their own (process.exit). */
export const TELEMETRY_FLUSH_KEY = Symbol.for('marketpulse.telemetry.flush');

type Flush = () => Promise<void>;

/**
 * Exports the spans still buffered (the batch processor sends every few seconds), waiting at most
 * `timeoutMs`. Call it before process.exit(); a no-op when tracing is off.
 */
export async function flushTelemetry(timeoutMs = 3000): Promise<void> {
  const flush = (globalThis as Record<symbol, Flush | undefined>)[TELEMETRY_FLUSH_KEY];
  if (!flush) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    flush().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
