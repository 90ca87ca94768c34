import { gauge } from './registry';

/** A process part's latest health: each component's last check. */
export interface HealthFigures {
  service: string;
  components: { name: string; ok: boolean }[];
}

const readers = new Set<() => HealthFigures>();

/**
 * Exposes readiness as metrics, read at every scrape: marketpulse_ready{service} (1 when every
 * component passed its last check, as /readyz answers 200) and
 * marketpulse_health_check_ok{service,component}. `service` tells the parts of the one-process
 * suite apart. Returns a function that stops reading.
 */
export function registerHealthMetrics(read: () => HealthFigures): () => void {
  readers.add(read);
  gauge<'service'>({
    name: 'marketpulse_ready',
    help: 'Whether the process part is ready (every dependency passed its last health check): 1 or 0, as /readyz answers 200 or 503.',
    labelNames: ['service'],
    collect() {
      this.reset();
      for (const r of readers) {
        const f = r();
        this.set({ service: f.service }, f.components.every((c) => c.ok) ? 1 : 0);
      }
    },
  });
  gauge<'service' | 'component'>({
    name: 'marketpulse_health_check_ok',
    help: 'Result of the last health check of each dependency (bus, database, a called service, ...): 1 ok, 0 failing.',
    labelNames: ['service', 'component'],
    collect() {
      this.reset();
      for (const r of readers) {
        const f = r();
        for (const c of f.components) this.set({ service: f.service, component: c.name }, c.ok ? 1 : 0);
      }
    },
  });
  return () => {
    readers.delete(read);
  };
}
