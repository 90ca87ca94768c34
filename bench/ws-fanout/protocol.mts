// IPC messages between the bench orchestrator (run.mts) and its child processes.

/** Orchestrator -> server. */
export type ServerCommand =
  { cmd: 'memory' } | { cmd: 'publish'; rate: number; channels: number; durationMs: number; payloadBytes: number };

/** Server -> orchestrator. */
export type ServerReply =
  /** Client i of N connects to `${urlPrefix}${i % channels}`: channel BENCH<i % channels>. */
  | { cmd: 'ready'; urlPrefix: string }
  | { cmd: 'memory'; rss: number; heapUsed: number }
  | { cmd: 'published'; count: number; elapsedMs: number; cpuMs: number; fanoutP50Ms: number; fanoutP99Ms: number };

/** Orchestrator -> load generator. */
export type LoadCommand =
  { cmd: 'connect'; urlPrefix: string; channels: number; connections: number } | { cmd: 'reset' } | { cmd: 'report' };

/** Load generator -> orchestrator. */
export type LoadReply =
  | { cmd: 'connected'; connections: number; failed: number; elapsedMs: number }
  | { cmd: 'reset' }
  /** cpuMs: the load generator's CPU time since the reset, settling time included. */
  | { cmd: 'report'; cpuMs: number; received: number; sampled: number; p50Ms: number; p99Ms: number; maxMs: number; closed: number };

export const channelSymbol = (i: number) => `BENCH${i}`;

/**
 * The broadcast's payload. `t` is the time its round was due on the machine's monotonic clock, in ns,
 * not the time the server got round to building it: a server that falls behind the schedule keeps
 * its backlog in the latency figures (no coordinated omission), as events waiting in Kafka would.
 */
export function benchTick(symbol: string, n: number, payloadBytes: number, dueNs: bigint): Record<string, unknown> {
  return { symbol, price: 100 + (n % 100) / 100, volume: n, t: dueNs.toString(), pad: 'x'.repeat(payloadBytes) };
}

/**
 * Publishes `rate` rounds per second for `durationMs` (a round is one message on every channel),
 * catching up on timer lateness so the offered load stays what was asked for even when the event
 * loop is busy. `count` is the number of rounds. `fanout*` is the server's own share of the
 * latency: from the start of the rounds due at a timer wake-up (one, or more when catching up)
 * until the event loop's next check phase, by which time both servers have handed them to every
 * socket (the baseline writes inside the round; the gateway's send queues flush in a setImmediate
 * queued by the first delivery, ahead of ours).
 */
export async function publishAtRate(
  rate: number,
  durationMs: number,
  publish: (n: number, dueNs: bigint) => void,
): Promise<{ count: number; elapsedMs: number; cpuMs: number; fanoutP50Ms: number; fanoutP99Ms: number }> {
  const cpu = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  const start = performance.now();
  const dueNs = (n: number) => startNs + BigInt(Math.round((n * 1e9) / rate));
  const fanout: number[] = [];
  let sent = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) break;
    // Round n is due at n / rate s: the rounds due by now, the first at once.
    const due = Math.floor((elapsed / 1000) * rate) + 1;
    if (sent < due) {
      const roundsStart = performance.now();
      while (sent < due) publish(sent, dueNs(sent++));
      setImmediate(() => fanout.push(performance.now() - roundsStart));
    }
    // Wake at the next round's time (Node's timers have 1 ms resolution: up to 1 ms late).
    await new Promise((r) => setTimeout(r, Math.max(1, Math.floor((sent * 1000) / rate - (performance.now() - start)))));
  }
  const used = process.cpuUsage(cpu);
  fanout.sort((a, b) => a - b);
  const at = (p: number) => fanout[Math.min(fanout.length - 1, Math.floor(p * fanout.length))] ?? 0;
  return {
    count: sent,
    elapsedMs: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    fanoutP50Ms: at(0.5),
    fanoutP99Ms: at(0.99),
  };
}

export function memory(): { rss: number; heapUsed: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** A server's side of the orchestrator's commands: its memory, and rounds of `broadcast` on every channel at the asked rate. */
export function answerServerCommands(broadcast: (symbol: string, n: number, payloadBytes: number, dueNs: bigint) => void): void {
  const send = (m: ServerReply) => process.send!(m);
  const onCommand = async (m: ServerCommand): Promise<void> => {
    if (m.cmd === 'memory') send({ cmd: 'memory', ...memory() });
    if (m.cmd === 'publish') {
      const round = (n: number, dueNs: bigint) => {
        for (let c = 0; c < m.channels; c++) broadcast(channelSymbol(c), n, m.payloadBytes, dueNs);
      };
      send({ cmd: 'published', ...(await publishAtRate(m.rate, m.durationMs, round)) });
    }
  };
  // A command that fails crashes this worker (an unhandled rejection), which the orchestrator sees as its exit.
  process.on('message', (m: ServerCommand) => void onCommand(m));
}
