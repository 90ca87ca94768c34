import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

const run = (entry: string, env: Record<string, string>, args: string[] = []) =>
  spawnSync(process.execPath, [path.join(REPO_ROOT, entry), ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

/** The JSON lines a run wrote (stdout and stderr), in order of stream. */
const jsonLines = (r: { stdout: string; stderr: string }) =>
  `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

// A process started with a bad variable stops at once, exit code 2, with one JSON line that names
// every bad variable, what was expected and what was given.
const entries = ['market-data', 'prediction', 'alerting', 'webhook-delivery', 'provider-monitor'].map((s) => [
  s,
  `services/${s}/dist/main.js`,
]);

describe('configuration errors at start-up', () => {
  it.each(entries)('%s exits 2 naming each bad variable', (service, entry) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, entry)], {
      env: { PATH: process.env.PATH, BUS: 'rabbitmq', KAFKA_PARTITIONS: 'many' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { level: string; code: string; problems: string[] };
    expect(line).toMatchObject({ level: 'fatal', 'service.name': service, code: 'CONFIG_INVALID' });
    expect(line).not.toHaveProperty('service');
    expect(line.problems.join('\n')).toMatch(/BUS: expected memory or kafka, got 'rabbitmq'/);
    expect(line.problems.join('\n')).toMatch(/KAFKA_PARTITIONS/);
  });
});

describe('every setting of every process, checked before anything starts', () => {
  const bad = { GATEWAY_PORT: 'abc', LOG_LEVEL: 'verbose', BUS: 'rabbit', WS_RATE_LIMIT: 'lots', MARKET_DATA_GRPC_PORT: '70000' };

  it('the one-process suite reports every bad variable of every part at once, each once, starts nothing and prints no stack', () => {
    const r = run('suite/dist/main.js', bad);
    expect(r.status).toBe(2);
    const lines = jsonLines(r);
    expect(lines.filter((l) => l.msg === 'starting' || l.msg === 'metrics server listening')).toEqual([]);
    const fatal = lines.find((l) => l.level === 'fatal')!;
    expect(fatal).toMatchObject({ 'service.name': 'suite', code: 'CONFIG_INVALID' });
    const problems = (fatal.problems as string[]).join('\n');
    expect(problems).toContain("GATEWAY_PORT: expected a TCP port, got 'abc'");
    expect(problems).toContain("LOG_LEVEL: expected one of fatal|error|warn|info|debug|trace|silent, got 'verbose'");
    expect(problems).toContain("BUS: expected memory or kafka, got 'rabbit'");
    expect(problems).toContain("WS_RATE_LIMIT: expected messages per minute, got 'lots'");
    expect(problems).toContain("MARKET_DATA_GRPC_PORT: expected a TCP port, got '70000'");
    expect((fatal.problems as string[]).filter((p) => p.startsWith('LOG_LEVEL'))).toHaveLength(1);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['the gateway', 'gateway/dist/main.js', 'gateway'],
    ['alerting', 'services/alerting/dist/main.js', 'alerting'],
  ])('%s reports an enumerated setting such as LOG_LEVEL=verbose like any other, without a stack trace', (_what, entry, service) => {
    const r = run(entry, { LOG_LEVEL: 'verbose', BUS: 'memory' });
    expect(r.status).toBe(2);
    const fatal = jsonLines(r).find((l) => l.level === 'fatal')!;
    expect(fatal).toMatchObject({ 'service.name': service, code: 'CONFIG_INVALID' });
    expect((fatal.problems as string[]).join('\n')).toContain(
      "LOG_LEVEL: expected one of fatal|error|warn|info|debug|trace|silent, got 'verbose'",
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['suite', 'suite/dist/main.js'],
    ['gateway', 'gateway/dist/main.js'],
    ['webhook-delivery', 'services/webhook-delivery/dist/main.js'],
  ])('%s --check-config validates without starting: exit 0 with the effective configuration, secrets redacted', (service, entry) => {
    const secret = 'check-config-secret-0123456789';
    const r = run(
      entry,
      { JWT_SECRET: secret, DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/none', GATEWAY_PORT: '1', METRICS_PORT: '1' },
      ['--check-config'],
    );
    expect(r.status).toBe(0);
    const [line] = jsonLines(r);
    expect(line).toMatchObject({ 'service.name': service, msg: 'configuration valid' });
    // The suite prints each part's settings; a process its own.
    const config = service === 'suite' ? line.config.gateway : line.config;
    if (service === 'suite')
      expect(Object.keys(line.config).sort()).toEqual([
        'alerting',
        'gateway',
        'market-data',
        'prediction',
        'provider-monitor',
        'suite',
        'webhook-delivery',
      ]);
    expect(config.DATABASE_URL).toBe('postgres://app:redacted@127.0.0.1:1/none');
    if (service !== 'webhook-delivery') expect(config.JWT_SECRET).toBe('[redacted]');
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    // Nothing listened: port 1 would have failed to bind, and no start-up line was written.
    expect(jsonLines(r).map((l) => l.msg)).toEqual(['configuration valid']);
  });

  it('--check-config exits 2 with every problem', () => {
    const r = run('suite/dist/main.js', bad, ['--check-config']);
    expect(r.status).toBe(2);
    expect(jsonLines(r)).toHaveLength(1);
    expect(jsonLines(r)[0].problems).toHaveLength(5);
  });
});
