import { quote } from '@marketpulse/runtime';
import { notFound } from '../errors';

/**
 * Interval jobs that never overlap with themselves, whose state can be listed and which can be run
 * on demand (the seed's `/api/scheduler/status` and `/api/scheduler/trigger/{job_id}`).
 */
export interface JobDefinition {
  id: string;
  name: string;
  interval_ms: number;
  /** `triggered` is true for a run asked for through trigger(), false for a scheduled one. */
  run: (ctx: { triggered: boolean }) => Promise<void>;
}

export interface JobStatus {
  id: string;
  name: string;
  interval_seconds: number;
  running: boolean;
  run_count: number;
  error_count: number;
  last_run: string | undefined;
  last_duration_ms: number | undefined;
  last_status: 'never' | 'success' | 'error';
  last_error: string | undefined;
  next_run: string | undefined;
}

export interface SchedulerStatus {
  running: boolean;
  started_at: string | undefined;
  jobs: JobStatus[];
}

interface JobState {
  def: JobDefinition;
  timer: NodeJS.Timeout | undefined;
  current: Promise<void> | undefined;
  /** Whether the run in progress was asked for through trigger(). */
  currentTriggered: boolean;
  /** A triggered run waiting for a scheduled one to end; later triggers join it. */
  queuedTrigger: Promise<void> | undefined;
  runCount: number;
  errorCount: number;
  lastRun: number | undefined;
  lastDuration: number | undefined;
  lastError: string | undefined;
  lastStatus: JobStatus['last_status'];
  nextRun: number | undefined;
}

/**
 * What GetSchedulerStatus may show of a failed run: a job's own message, but of a driver or socket
 * error (it has a code) only the code, as its text names hosts, ports and SQL. onError logs it all.
 */
function publicJobError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' || typeof code === 'number')
    return `the job failed (${String(code).slice(0, 32)}); the provider-monitor log has the details`;
  return err instanceof Error ? err.message : String(err);
}

const unknownJob = (id: string, known: string[]) => notFound(`unknown job ${quote(id)}; known jobs: ${known.join(', ')}`);

export class Scheduler {
  private readonly jobs = new Map<string, JobState>();
  private started: number | undefined;

  constructor(private readonly onError: (jobId: string, err: unknown) => void = () => {}) {}

  add(def: JobDefinition): void {
    if (this.jobs.has(def.id)) throw new Error(`job ${def.id} is already scheduled`);
    this.jobs.set(def.id, {
      def,
      timer: undefined,
      current: undefined,
      currentTriggered: false,
      queuedTrigger: undefined,
      runCount: 0,
      errorCount: 0,
      lastRun: undefined,
      lastDuration: undefined,
      lastError: undefined,
      lastStatus: 'never',
      nextRun: undefined,
    });
    if (this.started !== undefined) this.schedule(this.jobs.get(def.id)!);
  }

  /** Starts every job's timer; the first run of each is one interval away (trigger to run now). */
  start(): void {
    if (this.started !== undefined) return;
    this.started = Date.now();
    for (const job of this.jobs.values()) this.schedule(job);
  }

  /** Stops the timers and waits for runs in progress. */
  async stop(): Promise<void> {
    this.started = undefined;
    for (const job of this.jobs.values()) {
      clearTimeout(job.timer);
      job.timer = undefined;
      job.nextRun = undefined;
    }
    // A queued trigger runs after the run in progress: waiting for it waits for both.
    await Promise.allSettled([...this.jobs.values()].flatMap((j) => j.queuedTrigger ?? j.current ?? []));
  }

  /** Runs a job now (joining a triggered run in progress, or following a scheduled one) and returns its status after. */
  async trigger(id: string): Promise<JobStatus> {
    const job = this.jobs.get(id);
    if (!job) throw unknownJob(id, [...this.jobs.keys()]);
    await this.runOnce(job, true);
    return this.describe(job);
  }

  status(): SchedulerStatus {
    return {
      running: this.started !== undefined,
      started_at: this.started !== undefined ? new Date(this.started).toISOString() : undefined,
      jobs: [...this.jobs.values()].map((j) => this.describe(j)),
    };
  }

  private schedule(job: JobState): void {
    job.nextRun = Date.now() + job.def.interval_ms;
    job.timer = setTimeout(() => {
      void this.runOnce(job, false).finally(() => {
        if (this.started !== undefined) this.schedule(job);
      });
    }, job.def.interval_ms);
    job.timer.unref();
  }

  /** Starts a run now and resolves once it ended or `waitMs` passed, whichever is first. */
  async triggerWithin(id: string, waitMs: number): Promise<{ finished: boolean; status: JobStatus }> {
    const job = this.jobs.get(id);
    if (!job) throw unknownJob(id, [...this.jobs.keys()]);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.runOnce(job, true).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    return { finished, status: this.describe(job) };
  }

  private runOnce(job: JobState, triggered: boolean): Promise<void> {
    if (job.current) {
      // A scheduled run may do less than a triggered one (health checks: only the providers that
      // are due), so a trigger that finds one in progress runs the job again once it ends.
      if (!triggered || job.currentTriggered) return job.current;
      job.queuedTrigger ??= job.current.then(() => {
        job.queuedTrigger = undefined;
        return this.runOnce(job, true);
      });
      return job.queuedTrigger;
    }
    const began = Date.now();
    job.currentTriggered = triggered;
    job.current = (async () => {
      try {
        await job.def.run({ triggered });
        job.lastStatus = 'success';
        job.lastError = undefined;
      } catch (err) {
        job.lastStatus = 'error';
        job.lastError = publicJobError(err);
        job.errorCount++;
        this.onError(job.def.id, err);
      } finally {
        job.runCount++;
        job.lastRun = began;
        job.lastDuration = Date.now() - began;
        job.current = undefined;
      }
    })();
    return job.current;
  }

  private describe(job: JobState): JobStatus {
    return {
      id: job.def.id,
      name: job.def.name,
      interval_seconds: job.def.interval_ms / 1000,
      running: job.current !== undefined,
      run_count: job.runCount,
      error_count: job.errorCount,
      last_run: job.lastRun !== undefined ? new Date(job.lastRun).toISOString() : undefined,
      last_duration_ms: job.lastDuration,
      last_status: job.lastStatus,
      last_error: job.lastError,
      next_run: job.nextRun !== undefined ? new Date(job.nextRun).toISOString() : undefined,
    };
  }
}
