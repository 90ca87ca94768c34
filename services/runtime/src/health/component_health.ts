/** Result of one health check of one dependency (bus, database, upstream provider, ...). */
export interface ComponentHealth {
  ok: boolean;
  detail: string;
}

export interface HealthComponent {
  name: string;
  check(): Promise<ComponentHealth>;
  /**
   * A dependency the process serves without, only less well (e.g. a service it asks to enrich an
   * answer): shown in /health with its detail, but never makes the process not ready. Readiness
   * covers what the process cannot serve without; a callee the process can do without must not
   * take it out of rotation, nor cascade NOT_SERVING up the call graph while the suite starts.
   */
  optional?: boolean;
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
