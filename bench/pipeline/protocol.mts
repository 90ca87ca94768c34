// IPC messages between the pipeline bench's orchestrator (run.mts) and its load process (clients.mts).

/** Orchestrator -> load process. */
export type ClientsCommand =
  { cmd: 'connect'; urlPrefix: string; symbols: string[]; connections: number } | { cmd: 'reset' } | { cmd: 'report' };

/** Load process -> orchestrator. */
export type ClientsReply =
  | { cmd: 'connected'; connections: number; failed: number }
  | { cmd: 'reset' }
  | {
      cmd: 'report';
      /** market_data_update messages received by all clients since the reset. */
      received: number;
      /** Distinct ticks (event ids) among them. */
      ticks: number;
      elapsedMs: number;
      p50Ms: number;
      p90Ms: number;
      p99Ms: number;
      maxMs: number;
      /** Clients closed by the gateway or the network since connecting. */
      closed: number;
    };
