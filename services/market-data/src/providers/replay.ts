import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tick } from '../tick';
import type { MarketDataProvider, TickSink } from './provider';
import { ProviderStatsRecorder, type ProviderStats } from './provider_stats';
import { ReplayLineParser, formatFromPath, type ReplayFormat } from './replay_format';

export interface ReplayFeedOptions {
  path: string;
  format?: ReplayFormat;
  /** 1 plays at the recorded pace, 10 ten times faster, 0 as fast as possible. */
  speed: number;
  /**
   * Shift times so the first record happens now (and each loop continues from the last one).
   * Without it ticks keep their recorded times.
   */
  rebase: boolean;
  loop: boolean;
  /** Only these symbols are played; empty plays every symbol in the file. */
  symbols: string[];
  /** Called once the file (or, when looping, never) has been played to its end. */
  onEnd?: () => void;
}

export class ReplayProvider implements MarketDataProvider {
  readonly name = 'replay';
  readonly liveClock: boolean;
  private readonly recorder = new ProviderStatsRecorder(this.name);
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly seen = new Set<string>();

  constructor(private readonly options: ReplayFeedOptions) {
    this.liveClock = options.rebase;
  }

  symbols(): string[] {
    return this.options.symbols.length > 0 ? [...this.options.symbols] : [...this.seen];
  }

  async start(sink: TickSink): Promise<void> {
    try {
      await access(this.options.path);
    } catch {
      throw Object.assign(
        new Error(`replay file ${this.options.path} cannot be read; set MARKET_REPLAY_FILE to an existing CSV or NDJSON file`),
        {
          code: 'MARKET_REPLAY_FILE_MISSING',
        },
      );
    }
    this.recorder.setConnected(true);
    this.running = this.play(sink)
      .catch((error) => {
        if (!this.abort.signal.aborted) this.recorder.failure(error);
      })
      .finally(() => this.recorder.setConnected(false));
  }

  private async play(sink: TickSink): Promise<void> {
    const wanted = this.options.symbols.length > 0 ? new Set(this.options.symbols) : undefined;
    let shiftMs = 0;
    let lastEmittedMs: number | undefined;
    let iteration = 0;
    do {
      let anchor: { wallMs: number; tickMs: number } | undefined;
      const parser = new ReplayLineParser(this.options.format ?? formatFromPath(this.options.path), this.name);
      const lines = createInterface({ input: createReadStream(this.options.path), crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (this.abort.signal.aborted) return;
          let tick: Tick | undefined;
          try {
            tick = parser.parse(line);
          } catch (error) {
            this.recorder.failure(error);
            continue;
          }
          if (!tick || (wanted && !wanted.has(tick.symbol))) continue;
          const recordedMs = tick.timeMs;
          if (!anchor) {
            anchor = { wallMs: Date.now(), tickMs: recordedMs };
            // A later loop continues the timeline instead of jumping back to the recorded start.
            if (iteration > 0 && lastEmittedMs !== undefined) shiftMs = lastEmittedMs + 1 - recordedMs;
            else if (this.options.rebase) shiftMs = anchor.wallMs - recordedMs;
          }
          tick.timeMs += shiftMs;
          if (this.options.speed > 0) {
            const dueWallMs = anchor.wallMs + (recordedMs - anchor.tickMs) / this.options.speed;
            const waitMs = dueWallMs - Date.now();
            if (waitMs > 1) await sleep(waitMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
            if (this.abort.signal.aborted) return;
            this.recorder.call(Date.now() - dueWallMs, 1);
          } else {
            this.recorder.call(0, 1);
          }
          this.seen.add(tick.symbol);
          lastEmittedMs = tick.timeMs;
          sink(tick);
        }
      } finally {
        lines.close();
      }
      if (!anchor) break; // an empty file would otherwise loop without pause
      iteration++;
    } while (this.options.loop && !this.abort.signal.aborted);
    this.options.onEnd?.();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  stats(): ProviderStats {
    return this.recorder.snapshot();
  }
}
