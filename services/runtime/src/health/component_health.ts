/** Result of one health check of one dependency (bus, database, upstream provider, ...). */
export interface ComponentHealth {
  ok: boolean;
  detail: string;
}

export interface HealthComponent {
  name: string;
  check(): Promise<ComponentHealth>;
}

/** Races `check` against a timeout so one hung dependency cannot stall the whole health report. */
export async function checkWithTimeout(check: () => Promise<ComponentHealth>, timeoutMs: number): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `health check timed out after ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      check().catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
