import type { PublishedIds } from '../publish/published_ids';

/** A published-id store that knows no id: every claim succeeds, for tests of what a publish does past it. */
export function everyIdNew(): PublishedIds {
  return {
    claim: async () => [],
    confirm: async () => undefined,
    release: async () => undefined,
    unfinished: async () => [],
  };
}
