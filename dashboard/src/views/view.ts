import type { Api, LiveEvent } from '../session';

/** What each panel gets: the API, a place to report a failed call, and the symbols being watched. */
export interface Context {
  api: Api;
  report(what: string, err: unknown): void;
}

export interface View {
  /** (Re)reads everything the panel shows from the API: at start, after a new credential, after a gap. */
  load(): Promise<void>;
  onEvent?(event: LiveEvent): void;
}

/** Runs `fn` at most once per `ms`, the last call winning: many events, one reload. */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}

/**
 * A panel that reloads every `everyMs`, and soon after a live event of one of `types` or a call of
 * `soon` (many events, one reload).
 */
export function refreshingView(
  load: () => Promise<void>,
  o: { everyMs: number; debounceMs: number; types: string[] },
): View & { soon(): void } {
  const soon = debounce(() => void load(), o.debounceMs);
  setInterval(() => void load(), o.everyMs);
  return {
    load,
    soon,
    onEvent(ev: LiveEvent) {
      if (o.types.includes(ev.event_type)) soon();
    },
  };
}

export function badge(text: string, kind = text): HTMLSpanElement {
  const el = document.createElement('span');
  el.className = `badge badge-${kind.replace(/[^a-z_-]/gi, '')}`;
  el.textContent = text;
  return el;
}
