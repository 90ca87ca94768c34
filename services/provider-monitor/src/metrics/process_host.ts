import os from 'node:os';
import type { providers } from '@marketpulse/proto';
import { openEventLoopDelayWindow } from '@marketpulse/runtime';

/** Process and host figures an operator looks at first, sampled with each status snapshot. */
export interface ProcessHostMetrics {
  process: providers.ProcessMetrics;
  host: providers.HostMetrics;
}

export class ProcessHostSampler {
  /** The process's one event-loop sampler (METRICS_EVENT_LOOP_SAMPLE_MS), read here once per snapshot. */
  private readonly loop = openEventLoopDelayWindow();
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  sample(): ProcessHostMetrics {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const wallMs = Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const mem = process.memoryUsage();
    const delays = this.loop.histogram;
    // No sample since the last snapshot (snapshots closer than the sampling period): 0.
    const p99 = delays.count > 0 ? delays.percentile(99) / 1e6 : 0;
    delays.reset();
    const total = os.totalmem();
    const free = os.freemem();
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      process: {
        pid: process.pid,
        uptime_seconds: String(Math.round(process.uptime())),
        cpu_percent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
        rss_bytes: String(mem.rss),
        heap_used_bytes: String(mem.heapUsed),
        heap_total_bytes: String(mem.heapTotal),
        event_loop_delay_p99_ms: round(p99),
        active_handles: process.getActiveResourcesInfo().length,
      },
      host: {
        hostname: os.hostname(),
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.availableParallelism(),
        load_average: os.loadavg().map(round),
        memory_total_bytes: String(total),
        memory_free_bytes: String(free),
        memory_used_percent: round(((total - free) / total) * 100),
        uptime_seconds: String(Math.round(os.uptime())),
      },
    };
  }

  stop(): void {
    this.loop.close();
  }
}
