import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@marketpulse/tests';
import { installed, run, startSuite, type RunningSuite } from './polyglot.kit';

// The contracts from other languages, against the running suite (every service on its own port,
// Kafka and PostgreSQL): grpcurl by server reflection alone, the Go client's conformance suite
// (clients/go/conformance) and the Python client's (clients/python/tests). The tools come from
// the project's install scripts (scripts/go_tools.sh, scripts/python_env.sh), as on a fresh machine.

const SERVICES: Array<{ addr: keyof RunningSuite['addresses']; service: string; method: string; request: object }> = [
  { addr: 'MP_MARKET_DATA_ADDR', service: 'marketpulse.market.v1.MarketDataService', method: 'ListSymbols', request: {} },
  {
    addr: 'MP_PREDICTION_ADDR',
    service: 'marketpulse.prediction.v1.PredictionService',
    method: 'ListModelVersions',
    request: { symbol: 'AAPL' },
  },
  { addr: 'MP_ALERTING_ADDR', service: 'marketpulse.alerting.v1.AlertingService', method: 'ListRules', request: { user_id: 'grpcurl' } },
  { addr: 'MP_WEBHOOK_ADDR', service: 'marketpulse.webhooks.v1.WebhookService', method: 'ListEndpoints', request: { user_id: 'grpcurl' } },
  {
    addr: 'MP_PROVIDER_MONITOR_ADDR',
    service: 'marketpulse.providers.v1.ProviderMonitorService',
    method: 'GetSchedulerStatus',
    request: {},
  },
  // Unauthenticated on purpose: the refusal proves the call was decoded and answered.
  {
    addr: 'MP_PUBLISH_ADDR',
    service: 'marketpulse.realtime.v1.PublishService',
    method: 'Publish',
    request: { event: { type: 'system_log' } },
  },
];

let suite: RunningSuite;
let goBin: string;
let python: string;

beforeAll(async () => {
  // The first install builds the Go tools and the venv (minutes); later runs take a second.
  [goBin, python] = [await installed('scripts/go_tools.sh'), await installed('scripts/python_env.sh')];
  suite = await startSuite('conformance');
}, 900_000);

afterAll(async () => {
  await suite?.stop();
});

describe('grpcurl by server reflection alone', () => {
  const grpcurl = (...args: string[]) =>
    run(path.join(goBin, 'grpcurl'), ['-plaintext', '-max-time', '20', ...args], { timeoutMs: 30_000 });

  it.each(SERVICES)(
    '$service: list, describe, Health/Check and $method',
    async ({ addr, service, method, request }) => {
      const address = suite.addresses[addr];
      const listed = await grpcurl(address, 'list');
      expect(listed.code, listed.output).toBe(0);
      expect(listed.stdout.trim().split('\n').sort()).toEqual(['grpc.health.v1.Health', service]);

      const described = await grpcurl(address, 'describe', service);
      expect(described.code, described.output).toBe(0);
      expect(described.stdout).toContain(`rpc ${method} (`);
      // Every request and response type resolves, with the imports they name.
      const types = new Set([...described.stdout.matchAll(/\( (?:stream )?\.([\w.]+) \)/g)].map((m) => m[1]!));
      expect(types.size).toBeGreaterThan(1);
      for (const type of types) {
        const message = await grpcurl(address, 'describe', type);
        expect(message.code, message.output).toBe(0);
        expect(message.stdout).toContain(`${type} is a message`);
      }

      const health = await grpcurl('-d', JSON.stringify({ service }), address, 'grpc.health.v1.Health/Check');
      expect(health.code, health.output).toBe(0);
      expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });

      const called = await grpcurl('-d', JSON.stringify(request), address, `${service}/${method}`);
      if (method === 'Publish') {
        expect(called.output).toMatch(/Code: Unauthenticated/);
      } else {
        expect(called.code, called.output).toBe(0);
        expect(JSON.parse(called.stdout)).toBeTypeOf('object');
      }
    },
    120_000,
  );

  it('decodes the error details of an invalid call (google.rpc types by reflection too)', async () => {
    const called = await grpcurl(
      '-d',
      '{"symbol":""}',
      suite.addresses.MP_MARKET_DATA_ADDR,
      'marketpulse.market.v1.MarketDataService/GetQuote',
    );
    expect(called.code).not.toBe(0);
    expect(called.output).toContain('Code: InvalidArgument');
    expect(called.output).not.toContain('is not recognized');
    expect(called.output).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(called.output).toMatch(/"reason": "[A-Z_]+"/);
    expect(called.output).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(called.output).toContain('"field": "symbol"');
  }, 60_000);

  it('decodes a timestamp field of a real answer (google/protobuf/timestamp.proto resolved)', async () => {
    const called = await grpcurl(
      '-d',
      '{"symbol":"AAPL"}',
      suite.addresses.MP_PREDICTION_ADDR,
      'marketpulse.prediction.v1.PredictionService/ListModelVersions',
    );
    expect(called.code, called.output).toBe(0);
    const models = JSON.parse(called.stdout).models as Array<{ createdAt: string }>;
    expect(models.length).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(models[0]!.createdAt))).toBe(false);
  }, 60_000);
});

describe('conformance suites of the generated clients', () => {
  it('Go: every RPC, error details and a Kafka event (clients/go/conformance, and mpclient)', async () => {
    const result = await run('go', ['test', '-count=1', '-v', './...'], {
      cwd: path.join(REPO_ROOT, 'clients/go'),
      env: { ...suite.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
      timeoutMs: 600_000,
    });
    console.log(result.output);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toContain('--- SKIP');
    for (const name of [
      'HealthOnEveryPort',
      'MarketDataService',
      'PredictionService',
      'AlertingService',
      'WebhookService',
      'ProviderMonitorService',
      'PublishService',
      'InvalidRequestCarriesReasonAndFieldViolations',
      'KafkaEventDecodesByType',
    ]) {
      expect(result.output).toContain(`--- PASS: Test${name} `);
    }
  }, 660_000);

  it('Python: every RPC, error details and a Kafka event (clients/python/tests)', async () => {
    const result = await run(python, ['-m', 'pytest', '-p', 'no:cacheprovider', '-v', '-rs', '-s', 'tests'], {
      cwd: path.join(REPO_ROOT, 'clients/python'),
      env: { ...suite.env, PYTHONPATH: path.join(REPO_ROOT, 'clients/python'), PYTHONDONTWRITEBYTECODE: '1' },
      timeoutMs: 600_000,
    });
    console.log(result.output);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/\b20 passed\b/);
    expect(result.output).not.toMatch(/skipped|SKIPPED/);
  }, 660_000);
});
