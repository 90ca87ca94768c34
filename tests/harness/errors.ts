/** Every harness failure carries a stable code so suites and CI logs can be grepped for it. */
export type HarnessErrorCode =
  'INFRA_NOT_INSTALLED' | 'INFRA_START_FAILED' | 'INFRA_UNREACHABLE' | 'WAIT_TIMEOUT' | 'PROCESS_START_FAILED' | 'PROCESS_EXITED';

export class HarnessError extends Error {
  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[${code}] ${message}`, options);
    this.name = 'HarnessError';
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
