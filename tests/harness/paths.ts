import path from 'node:path';

/** The repository root (this file lives in tests/harness/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const INFRA_DIR = path.join(REPO_ROOT, 'infra');
export const TEST_LOG_DIR = path.join(REPO_ROOT, '.run', 'test-logs');

/** Paths shown in messages are relative to the repo so they can be pasted into a shell there. */
export function fromRepo(p: string): string {
  return path.relative(REPO_ROOT, p) || '.';
}
