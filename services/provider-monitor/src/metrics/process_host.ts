import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Process and host figures an operator looks at first, sampled with each status snapshot. */
export interface ProcessHostMetrics {
  process: {
    pid: number;
    uptime_seconds: number;
    cpu_percent: number;
    rss_bytes: number;
    heap_used_bytes: number;
    heap_total_bytes: number;
    event_loop_delay_p99_ms: number;
    active_handles: number;
  };
  host: {
    hostname: string;
    platform: string;
    cpus: number;
    load_average: number[];
    memory_total_bytes: number;
    memory_free_bytes: number;
    memory_used_percent: number;
    uptime_seconds: number;
  };
}

export class ProcessHostSampler {
  private readonly loop = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor() {
    this.loop.enable();
  }

  sample(): ProcessHostMetrics {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const wallMs = Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const mem = process.memoryUsage();
    const p99 = this.loop.percentile(99) / 1e6;
    this.loop.reset();
    const total = os.totalmem();
    const free = os.freemem();
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      process: {
        pid: process.pid,
        uptime_seconds: Math.round(process.uptime()),
        cpu_percent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        heap_total_bytes: mem.heapTotal,
        event_loop_delay_p99_ms: round(Number.isFinite(p99) ? p99 : 0),
        active_handles: process.getActiveResourcesInfo().length,
      },
      host: {
        hostname: os.hostname(),
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.availableParallelism(),
        load_average: os.loadavg().map(round),
        memory_total_bytes: total,
        memory_free_bytes: free,
        memory_used_percent: round(((total - free) / total) * 100),
        uptime_seconds: Math.round(os.uptime()),
      },
    };
  }

  stop(): void {
    this.loop.disable();
  }
}
