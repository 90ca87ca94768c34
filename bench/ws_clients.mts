// Shared by the benchmarks' load processes: opening many WebSocket clients without a thundering herd.

/** Opens `n` clients, `atOnce` handshakes in flight at a time; `open(i)` resolves false on failure. Resolves with the failures. */
export async function openMany(n: number, atOnce: number, open: (i: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(atOnce, n) }, async () => {
      while (next < n) {
        if (!(await open(next++))) failed++;
      }
    }),
  );
  return failed;
}
