import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProcessHostSampler } from './process_host';

describe('ProcessHostSampler', () => {
  it("reads the event-loop delay from the process's one sampler: a 300 ms stall shows in the next snapshot", async () => {
    const sampler = new ProcessHostSampler();
    try {
      await sleep(150);
      sampler.sample();
      const end = performance.now() + 300;
      while (performance.now() < end);
      await sleep(150);
      // The block less at most one sampling period (100 ms by default).
      expect(sampler.sample().process.event_loop_delay_p99_ms).toBeGreaterThanOrEqual(200);
    } finally {
      sampler.stop();
    }
  });
});
