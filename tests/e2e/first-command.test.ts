import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPO_ROOT, startSuiteProcess, SUITE_HOOK_TIMEOUT_MS, waitFor, type ManagedProcess, type SuiteProcess } from '@marketpulse/tests';

// Issue 16, as a web developer meets it: `bash scripts/start.sh` (the one-process suite, from dist
// as `pnpm start` runs it) with nothing configured is the development profile. The seeds' curl
// examples answer without a credential, a printed token writes, mint-token works against the
// running suite, loopback pages pass CORS, provider-monitor has live figures at once, the REST
// parity paths answer, and the packed @marketpulse/client installs and runs outside the workspace.

const run = promisify(execFile);

let running: SuiteProcess;
let suite: ManagedProcess;
let base: string;
let dataDir: string;
let devToken: string;
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  // A receiver that always fails: deliveries to it end failed (for replay and statistics).
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end('no'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  running = await startSuiteProcess({
    label: 'first-command-suite',
    env: {
      // Nothing of the profile is configured: the first command's defaults decide.
      GATEWAY_ENV: undefined,
      JWT_SECRET: undefined,
      MONITOR_PROVIDERS: undefined,
      CORS_ALLOWED_ORIGINS: undefined,
      WEBHOOK_RETRY_SCHEDULE: '100ms',
    },
    ready: (output) => output.includes('Marketpulse is running') && output.includes('CORS'),
  });
  suite = running.process;
  base = running.base;
  dataDir = running.dataDir!;
  devToken = /dev token\s+(\S+)/.exec(suite.output())![1]!;
}, SUITE_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await running?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json().catch(() => null)) as any });

describe('the first command is a development profile', () => {
  it("answers the seeds' curl examples without a credential", async () => {
    for (const p of ['/api/status', '/api/providers', '/api/rate-limits']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(200);
    }
  });

  it('prints a development credential that writes, while a write without one is 401', async () => {
    expect(suite.output()).toMatch(/dev token\s+ey/);
    const rule = { name: 'dev rule', symbol: 'AAPL', severity: 'info', condition: { price_above: { price: 1_000_000 } } };
    const anonymous = await fetch(`${base}/api/v1/alerts/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    expect(anonymous.status).toBe(401);
    const created = await fetch(`${base}/api/v1/alerts/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${devToken}` },
      body: JSON.stringify(rule),
    });
    expect((await json(created)).status).toBe(201);
  });

  it('mints tokens the running suite accepts, with the scopes asked for (mint-token reads the secret file)', async () => {
    const mint = async (...args: string[]) =>
      (
        await run(process.execPath, [path.join(REPO_ROOT, 'gateway/dist/cli/mint-token.js'), ...args], {
          cwd: REPO_ROOT,
          env: { ...process.env, PGLITE_DIR: dataDir, JWT_SECRET: '' },
        })
      ).stdout.trim();
    const writer = await mint('--sub', 'minted', '--scopes', 'read,webhooks:write', '--ttl', '600');
    const reader = await mint('--sub', 'minted', '--scopes', 'read', '--ttl', '600');
    const hook = { url: receiverUrl, events: ['prediction_complete'] };
    const post = (token: string) =>
      fetch(`${base}/api/v1/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(hook),
      });
    expect((await post(writer)).status).toBe(201);
    expect((await post(reader)).status).toBe(403);
    // exp is there (engineer D's gateway refuses tokens without it).
    const claims = JSON.parse(Buffer.from(writer.split('.')[1]!, 'base64url').toString()) as { exp?: number; scopes?: string[] };
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(claims.scopes).toEqual(['read', 'webhooks:write']);
  });

  it('lets a page on another loopback origin call the API, and no other origin', async () => {
    const page = 'http://127.0.0.1:5173';
    const simple = await fetch(`${base}/api/status`, { headers: { origin: page } });
    expect(simple.headers.get('access-control-allow-origin')).toBe(page);
    const preflight = await fetch(`${base}/api/v1/alerts/rules`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const foreign = await fetch(`${base}/api/status`, { headers: { origin: 'https://evil.example.com' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('monitors real providers from the first seconds: feeds, the gateway and a rate-limited upstream', async () => {
    const providers = await waitFor(
      async () => {
        const { body } = await json(await fetch(`${base}/api/providers`));
        const list = (body?.providers ?? []) as Array<{ name: string; category: string; status: string; response_time_ms: number }>;
        return list.some((p) => p.name === 'Simulated Exchange API' && p.status === 'online') &&
          list.some((p) => p.category === 'market_data' && p.name !== 'Simulated Exchange API')
          ? list
          : undefined;
      },
      { timeoutMs: 30_000, what: 'providers with a status' },
    );
    expect(providers.find((p) => p.name === 'Marketpulse Gateway')?.status).toBe('online');
    const status = (await json(await fetch(`${base}/api/status`))).body as { total_apis: number; system_health: string };
    expect(status.total_apis).toBeGreaterThanOrEqual(3);
    expect(status.system_health).not.toBe('unknown');
    const limits = await waitFor(
      async () => {
        const { body } = await json(await fetch(`${base}/api/rate-limits`));
        const rl = (body?.rate_limits ?? []).find(
          (r: { provider: string; current_usage: number }) => r.provider === 'Simulated Exchange API' && r.current_usage > 0,
        );
        return rl as { limit_value: number; current_usage: number } | undefined;
      },
      { timeoutMs: 30_000, what: 'rate-limit usage of the simulated provider' },
    );
    expect(limits.limit_value).toBe(30);
  });

  it('streams live provider figures on /ws/live', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/live`);
    const updates: Array<{ type: string; system_metrics?: { total_providers: number; online_count: number } }> = [];
    ws.on('message', (m) => updates.push(JSON.parse(String(m))));
    try {
      const update = await waitFor(() => updates.find((u) => u.type === 'status_update' && (u.system_metrics?.total_providers ?? 0) >= 3), {
        timeoutMs: 30_000,
        what: 'a status_update counting the providers',
      });
      expect(update.system_metrics!.online_count).toBeGreaterThanOrEqual(1);
    } finally {
      ws.close();
    }
  });
});

describe('REST parity with gRPC (webhooks, event types, validation)', () => {
  const auth = () => ({ 'content-type': 'application/json', authorization: `Bearer ${devToken}` });

  it('replays one delivery and every failed one since a time, and reports endpoint statistics', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const hook = (
      await json(
        await fetch(`${base}/api/v1/webhooks`, {
          method: 'POST',
          headers: auth(),
          body: JSON.stringify({ url: receiverUrl, events: ['prediction_complete'] }),
        }),
      )
    ).body as { id: string };
    await fetch(`${base}/api/v1/webhooks/test?webhook_id=${hook.id}`, { method: 'POST', headers: auth() });
    const failedOne = () =>
      waitFor(
        async () => {
          const { body } = await json(await fetch(`${base}/api/v1/webhooks/${hook.id}/deliveries?status=failed`, { headers: auth() }));
          return (body as Array<{ id: string; status: string; attempt_count: number }> | null)?.find((d) => d.status === 'failed');
        },
        { timeoutMs: 20_000, what: 'a failed delivery' },
      );
    await failedOne();
    const all = await json(
      await fetch(`${base}/api/v1/webhooks/${hook.id}/replay`, { method: 'POST', headers: auth(), body: JSON.stringify({ since }) }),
    );
    expect(all.status).toBe(200);
    expect(all.body.replayed_count).toBeGreaterThanOrEqual(1);
    // Queued again, it fails again at the receiver; then one delivery is replayed by id.
    const failed = await failedOne();
    const replayed = await json(await fetch(`${base}/api/v1/webhooks/deliveries/${failed.id}/replay`, { method: 'POST', headers: auth() }));
    expect(replayed.status).toBe(200);
    expect(replayed.body.attempt_count).toBeGreaterThan(failed.attempt_count);
    // Replayed, it fails again at the receiver: the statistics count it.
    const stats = await waitFor(
      async () => {
        const res = await json(await fetch(`${base}/api/v1/webhooks/${hook.id}/stats?hours=1`, { headers: auth() }));
        return res.status === 200 && res.body.failed >= 1 ? res.body : undefined;
      },
      { timeoutMs: 20_000, what: 'endpoint statistics counting the failed delivery' },
    );
    expect(stats).toMatchObject({ endpoint_id: hook.id, window_hours: 1, delivered: 0 });
  });

  it('lists the event types with their channels', async () => {
    const { status, body } = await json(await fetch(`${base}/api/v1/event-types`));
    expect(status).toBe(200);
    const types = body.event_types as Array<{ type: string; channel: string; source: string }>;
    expect(types.find((t) => t.type === 'prediction_complete')).toMatchObject({ channel: 'predictions:{symbol}', source: 'prediction' });
    expect(types.map((t) => t.type)).toContain('webhook_delivery');
  });

  it('names the valid event types when a webhook names an invalid one', async () => {
    const res = await json(
      await fetch(`${base}/api/v1/webhooks`, {
        method: 'POST',
        headers: auth(),
        body: JSON.stringify({ url: receiverUrl, events: ['prediction_completed'] }),
      }),
    );
    expect(res.status).toBe(400);
    const field = res.body.error.details.fields[0] as { field: string; message: string; allowed: string[] };
    expect(field.field).toBe('events.0');
    expect(field.allowed).toContain('prediction_complete');
    expect(field.message).toContain('prediction_complete');
  });
});

describe('the packed @marketpulse/client, installed outside the workspace', () => {
  let project: string;
  const exec = (cmd: string, args: string[], cwd: string) =>
    run(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });

  beforeAll(async () => {
    project = mkdtempSync(path.join(tmpdir(), 'mp-client-consumer-'));
    expect(project.startsWith(REPO_ROOT)).toBe(false);
    const packed = (await exec('pnpm', ['pack', '--pack-destination', project], path.join(REPO_ROOT, 'clients/ts'))).stdout
      .trim()
      .split('\n')
      .at(-1)!;
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // Its dependencies come from the registry, as for any user of the published package.
    await exec(
      'npm',
      ['install', '--no-audit', '--no-fund', packed, 'typescript@5.9.3', 'ws@8.23.0', '@types/ws@8.18.2', '@types/node@20.19.0'],
      project,
    );
    const tsconfig = (files: string[], emit: boolean) =>
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: ['node'],
          noEmit: !emit,
          outDir: 'out',
        },
        files,
      });
    writeFileSync(path.join(project, 'tsconfig.json'), tsconfig(['main.ts'], true));
    writeFileSync(path.join(project, 'tsconfig.typo.json'), tsconfig(['typo.ts'], false));
    const program = `import WebSocket from 'ws';
import { createMarketpulseClient, createStreamClient, type RouterOutputs, type StreamEvent, type WebSocketConstructor } from '@marketpulse/client';

const base = process.env.MP_URL!;
const api = createMarketpulseClient({ url: base, token: process.env.MP_TOKEN });
const status: RouterOutputs['monitoring']['status'] = await api.monitoring.status.query({});
const catalog = await api.eventTypes.list.query({});
const stream = createStreamClient({ url: base.replace(/^http/, 'ws') + '/ws/stream', WebSocket: WebSocket as unknown as WebSocketConstructor });
const tick = await new Promise<StreamEvent>((resolve) => {
  stream.subscribe('events', { filters: { event_type: 'market_data_update', subject: 'AAPL' } }, (event) => resolve(event));
  stream.connect();
});
stream.close();
const price: number = tick.event_type === 'market_data_update' ? tick.payload.price : NaN;
console.log('RESULT ' + JSON.stringify({ node: process.version, apis: status.total_apis, types: catalog.event_types.length, symbol: tick.subject, price }));
`;
    writeFileSync(path.join(project, 'main.ts'), program);
    writeFileSync(path.join(project, 'typo.ts'), program.replace('api.monitoring.status.query', 'api.monitoring.statuss.query'));
  }, 240_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('ships self-contained declarations: no gateway, zod or gRPC types', () => {
    const dts =
      readFileSync(path.join(project, 'node_modules/@marketpulse/client/dist/generated/api.d.ts'), 'utf8') +
      readFileSync(path.join(project, 'node_modules/@marketpulse/client/dist/index.d.ts'), 'utf8');
    expect(dts).not.toMatch(/from ['"](@marketpulse\/gateway|zod|@grpc|@marketpulse\/runtime|@marketpulse\/proto)/);
    const manifest = JSON.parse(readFileSync(path.join(project, 'node_modules/@marketpulse/client/package.json'), 'utf8')) as {
      private?: boolean;
      type: string;
    };
    expect(manifest.private).toBeUndefined();
    expect(manifest.type).toBe('module');
  });

  it('type-checks (strict, skipLibCheck false) and runs on Node 20+ against the suite: a tRPC call and a WebSocket subscription', async () => {
    await exec(path.join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
    // The oldest Node the package supports when the machine has it (Debian's Node 20), else this one.
    const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const { stdout } = await run(node, ['out/main.js'], {
      cwd: project,
      env: { ...process.env, MP_URL: base, MP_TOKEN: devToken },
      timeout: 60_000,
    });
    const result = JSON.parse(/RESULT (.*)/.exec(stdout)![1]!) as {
      node: string;
      apis: number;
      types: number;
      symbol: string;
      price: number;
    };
    expect(Number(/^v(\d+)/.exec(result.node)![1])).toBeGreaterThanOrEqual(20);
    expect(result.types).toBeGreaterThanOrEqual(17);
    expect(result.symbol).toBe('AAPL');
    expect(result.price).toBeGreaterThan(0);
  });

  it('fails the type check on a typo in a procedure name', async () => {
    const failed = await exec(path.join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.typo.json'], project).then(
      () => undefined,
      (err: { stdout: string }) => err.stdout,
    );
    expect(failed).toBeDefined();
    expect(failed).toContain("Property 'statuss' does not exist");
  });
});
