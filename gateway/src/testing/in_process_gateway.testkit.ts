import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@marketpulse/runtime';
import { afterAll, afterEach } from 'vitest';
import type WebSocket from 'ws';
import { loadGatewayConfig } from '../config';
import { startGateway, type GatewayDeps, type GatewayHandle } from '../service';

// The in-process gateway the gateway's socket-level tests start: in-memory bus, port 0, silent
// logs, its own topic prefix, no prediction service (unless asked). Test-only (excluded from the build).

export interface InProcessGatewayOptions {
  /** Names the topic prefix and the logger. */
  name: string;
  /** Variables every gateway of the file gets (each start's `env` overrides them). */
  env?: Record<string, string>;
  /** Serve the REST/tRPC API and the publish gRPC port (port 0, PGlite in a temporary directory removed after the file). */
  api?: boolean;
  /** Ask the prediction service at PREDICTION_GRPC_ADDR over gRPC (the gateway's own client) instead of refusing every request_prediction. */
  predictionService?: boolean;
}

export interface InProcessGateways {
  /** Starts a gateway with the file's variables and then `env` (and `deps` over the silent logger); it is closed after the test. */
  gateway(env?: Record<string, string>, deps?: Pick<GatewayDeps, 'logger' | 'listSymbols'>): Promise<GatewayHandle>;
  /** Client sockets pushed here are terminated after the test, before the gateways close. */
  sockets: WebSocket[];
  /** The silent logger the gateways get (for the test's own parts too). */
  logger: Logger;
}

/** Call once at the top of a test file: registers the clean-up hooks and returns the starter. */
export function inProcessGateways(options: InProcessGatewayOptions): InProcessGateways {
  const logger = createLogger(`${options.name}-test`, {}, { level: 'silent' });
  const gateways: GatewayHandle[] = [];
  const sockets: WebSocket[] = [];
  let dir: Promise<string> | undefined;

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });
  afterAll(async () => {
    if (dir) await rm(await dir, { recursive: true, force: true });
  });

  async function gateway(env: Record<string, string> = {}, deps: Pick<GatewayDeps, 'logger' | 'listSymbols'> = {}): Promise<GatewayHandle> {
    if (options.api) dir ??= mkdtemp(join(tmpdir(), `gateway-${options.name}-`));
    const config = loadGatewayConfig({
      BUS: 'memory',
      GATEWAY_PORT: '0',
      LOG_LEVEL: 'silent',
      KAFKA_TOPIC_PREFIX: `${options.name}.${Math.random()}.`,
      ...(options.api ? { PUBLISH_GRPC_PORT: '0', PGLITE_DIR: await dir } : {}),
      ...options.env,
      ...env,
    });
    const gw = await startGateway(config, {
      logger,
      ...(options.predictionService ? {} : { getPrediction: () => Promise.reject(new Error('unused')) }),
      ...(options.api ? {} : { api: false }),
      ...deps,
    });
    gateways.push(gw);
    return gw;
  }

  return { gateway, sockets, logger };
}
