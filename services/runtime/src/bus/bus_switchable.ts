import type { Bus } from './bus';

/** A bus whose publishing can be switched off, as when the broker goes away: a drill for outbox and spool paths. */
export interface SwitchableBus extends Bus {
  /** While true, every publish fails with the error a lost broker gives; subscriptions keep running. */
  away: boolean;
}

/** Wraps `inner` so a test can take the broker away and bring it back without stopping anything. */
export function switchableBus(inner: Bus): SwitchableBus {
  const bus: SwitchableBus = {
    away: false,
    publish: async (events) => {
      if (bus.away) throw new Error('broker away');
      return inner.publish(events);
    },
    subscribe: (options) => inner.subscribe(options),
    health: () => inner.health(),
    // The inner bus belongs to the caller, who closes it.
    close: async () => undefined,
  };
  return bus;
}
