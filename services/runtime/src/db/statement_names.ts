import { createHash } from 'node:crypto';

export interface StatementNamesOptions {
  /** Most distinct texts ever given a name by this process, hence most prepared statements per connection. */
  maxNamed?: number;
  /** Uses of a text before it gets a name: a text seen once (a one-off or dynamic query) stays unnamed. */
  usesBeforeNaming?: number;
  /** Most unnamed texts whose uses are counted; the count starts over when it is reached. */
  maxCounted?: number;
}

/**
 * Which query texts run as named prepared statements on PostgreSQL. pg parses a named statement once
 * per connection and keeps it for the connection's life, so the rule keeps the server's side bounded
 * without DEALLOCATE: a text is named on its `usesBeforeNaming`-th use, at most `maxNamed` texts are
 * ever named (later texts stay unnamed), and a retired text keeps its slot.
 */
export class StatementNames {
  // text -> its name, or null once retired (its plan went stale): still counted against maxNamed,
  // because connections may hold it until they close.
  private readonly named = new Map<string, string | null>();
  private readonly uses = new Map<string, number>();
  private readonly maxNamed: number;
  private readonly usesBeforeNaming: number;
  private readonly maxCounted: number;

  constructor(options: StatementNamesOptions = {}) {
    this.maxNamed = options.maxNamed ?? 100;
    this.usesBeforeNaming = options.usesBeforeNaming ?? 2;
    this.maxCounted = options.maxCounted ?? 1000;
  }

  /** The name to prepare `text` under, or undefined to send it unnamed. */
  nameFor(text: string): string | undefined {
    const known = this.named.get(text);
    if (known !== undefined) return known ?? undefined;
    if (this.named.size >= this.maxNamed) return undefined;
    const seen = (this.uses.get(text) ?? 0) + 1;
    if (seen < this.usesBeforeNaming) {
      if (this.uses.size >= this.maxCounted) this.uses.clear();
      this.uses.set(text, seen);
      return undefined;
    }
    this.uses.delete(text);
    const name = `mp_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    this.named.set(text, name);
    return name;
  }

  /** Sends `text` unnamed from now on, in every connection of the pool. */
  retire(text: string): void {
    if (this.named.has(text)) this.named.set(text, null);
  }
}

/**
 * PostgreSQL refuses to run a prepared statement whose result columns changed since it was prepared
 * (e.g. `SELECT *` after ADD COLUMN); other schema changes are re-planned by the server itself.
 */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change result type');
}
