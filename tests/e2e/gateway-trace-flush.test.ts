import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startProcess, waitForProcessOutput } from '../harness';

// A gateway stopped with SIGTERM exports the spans its batch processor still holds before it exits:
// the process runs from dist with the OpenTelemetry bootstrap, exporting (Zipkin v2 JSON) to a
// receiver of the test's on 127.0.0.1, with a batch delay so long that only the stop's flush sends.

const MAIN = path.join(REPO_ROOT, 'gateway/dist/main.js');
const TELEMETRY = path.join(REPO_ROOT, 'services/runtime/dist/telemetry/register.js');

interface ExportedSpan {
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

describe('gateway stop', () => {
  const exported: ExportedSpan[] = [];
  let receiver: Server;
  let endpoint: string;
  const dataDir = fs.mkdtempSync(path.join(tmpdir(), 'mp-gateway-flush-'));

  beforeAll(async () => {
    for (const file of [MAIN, TELEMETRY]) {
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`pnpm run build\` from the repository root first`);
    }
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        exported.push(...(JSON.parse(body) as ExportedSpan[]));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/v2/spans`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports the spans still buffered when it is stopped with SIGTERM, then exits 0', async () => {
    const gateway = startProcess(
      process.execPath,
      ['--require', TELEMETRY, MAIN],
      {
        BUS: 'memory',
        DATABASE_URL: undefined,
        PGLITE_DIR: dataDir,
        GATEWAY_PORT: '0',
        PUBLISH_GRPC_PORT: '0',
        WS_CLOSE_UNKNOWN_SYMBOLS: 'false',
        LOG_LEVEL: 'info',
        OTEL_SERVICE_NAME: 'gateway',
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: endpoint,
        OTEL_TRACES_SAMPLER: 'always_on',
        // Nothing is exported on the batch processor's schedule during the test: only a flush sends.
        OTEL_BSP_SCHEDULE_DELAY: '3600000',
      },
      { label: 'gateway-trace-flush' },
    );
    await waitForProcessOutput(gateway, (output) => output.includes('"msg":"ready"'), {
      timeoutMs: 60_000,
      what: 'the gateway to be ready',
    });
    const ready = JSON.parse(
      gateway
        .output()
        .split('\n')
        .find((line) => line.includes('"msg":"ready"'))!,
    ) as { http_port: number };

    const res = await fetch(`http://127.0.0.1:${ready.http_port}/openapi.json`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(exported).toEqual([]);

    const exit = await gateway.stop(60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const served = exported.find((s) => s.kind === 'SERVER' && s.tags?.['url.path'] === '/openapi.json');
    expect(served, `spans exported: ${JSON.stringify(exported.map((s) => s.name))}; log: ${gateway.logFile}`).toBeDefined();
    expect(served?.localEndpoint?.serviceName).toBe('gateway');
  }, 180_000);
});
