import { OrderedMap } from '@marketpulse/runtime';

/**
 * The last `capacity` ids seen, oldest forgotten first: enough to recognise an alert arriving a
 * second time (its own echo from the bus, a redelivery) without growing for the life of the process.
 */
export class RecentIds {
  private readonly ids = new OrderedMap<string, true>();

  constructor(private readonly capacity: number) {}

  /** True the first time `id` is offered (while it is remembered), false after. */
  firstSighting(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.oldestKey()!);
    return true;
  }

  forget(id: string): void {
    this.ids.delete(id);
  }
}
