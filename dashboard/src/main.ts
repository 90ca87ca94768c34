import './styles.css';
import { h } from './dom';
import { createApi, credential, describeError, isAuthError, startLive } from './session';
import { alertsView } from './views/alerts';
import { marketsView } from './views/markets';
import { providersView } from './views/providers';
import { rulesView } from './views/rules';
import { systemView } from './views/system';
import type { Context, View } from './views/view';
import { webhooksView } from './views/webhooks';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

const notice = $('[data-testid="notice"]');
const statePill = $('[data-testid="connection-state"]');
const form = $<HTMLFormElement>('[data-testid="credential-form"]');
const box = form.elements.namedItem('credential') as HTMLInputElement;

function show(message: string): void {
  notice.hidden = message === '';
  notice.textContent = message;
}

const ctx: Context = {
  api: createApi(),
  report(what, err) {
    // A failed call is the person's to act on (e.g. a missing credential), not the console's.
    show(
      isAuthError(err)
        ? `${what}: this deployment needs a credential — paste a token or API key above. (${describeError(err)})`
        : `${what}: ${describeError(err)}`,
    );
  },
};

const views: View[] = [
  marketsView(ctx, $('#markets'), $('#predictions')),
  alertsView(ctx, $('#alerts')),
  rulesView(ctx, $('#rules')),
  providersView(ctx, $('#providers')),
  webhooksView(ctx, $('#webhooks')),
  systemView(ctx, $('#system'), $('[data-testid="system-summary"]')),
];

async function loadAll(): Promise<void> {
  show('');
  await Promise.all(views.map((v) => v.load()));
}

/** Ids of the latest events, to show (and count) any event the stream would deliver twice. */
const seen = new Set<string>();
let duplicates = 0;
function firstTime(id: string): boolean {
  if (seen.has(id)) {
    document.body.dataset.duplicateEvents = String(++duplicates);
    return false;
  }
  seen.add(id);
  if (seen.size > 20_000) seen.delete(seen.values().next().value!);
  return true;
}

let live: { close(): void } | undefined;
function connect(): void {
  live?.close();
  let everConnected = false;
  live = startLive({
    onEvent(event) {
      if (!firstTime(event.event_id)) return;
      document.body.dataset.lastEventId = event.event_id;
      for (const v of views) v.onEvent?.(event);
    },
    onState(state, detail) {
      statePill.textContent = detail ? `${state} · ${detail}` : state;
      statePill.dataset.state = state;
      statePill.className = `pill pill-${state}`;
      if (state === 'connected') {
        if (everConnected) {
          document.body.dataset.reconnects = String(Number(document.body.dataset.reconnects ?? 0) + 1);
          // The stream resumes where it stopped; what the panels read from the API may have moved on too.
          void loadAll();
        }
        everConnected = true;
      }
      if (state === 'closed' && detail) show(`live stream closed: ${detail}`);
    },
    // What happened while away could not be replayed: read the current state again.
    onGap() {
      document.body.dataset.unrecoveredResumes = String(Number(document.body.dataset.unrecoveredResumes ?? 0) + 1);
      void loadAll();
    },
  });
}

document.body.dataset.duplicateEvents = '0';
document.body.dataset.unrecoveredResumes = '0';
box.value = credential.get() ?? '';
form.addEventListener('submit', (e) => {
  e.preventDefault();
  credential.set(box.value.trim());
  // Start again from a clean page: a call still in flight under the old credential would otherwise
  // report its refusal after the new credential's calls succeed, and the notice would stay up.
  location.reload();
});
form.append(h('span', { class: 'muted hint' }, 'kept in this browser only'));

connect();
void loadAll();
