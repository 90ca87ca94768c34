import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// proto/check.sh is what makes CI fail on a contract mistake. It runs here against a scratch git
// repository holding a copy of proto/ and of the generated clients (the buf and ts-proto binaries
// linked in, the Go plugins and the venv of the real tree named by MP_GO_BIN / MP_VENV), so each
// mistake can be committed or left in the tree without touching the real one.
const market = 'proto/marketpulse/market/v1/market.proto';
const COPIED = [
  'proto',
  'clients/go',
  'clients/python',
  'clients/ts/src/generated/proto',
  'scripts/go_tools.sh',
  'scripts/python_env.sh',
  'tests/python/requirements.txt',
];

describe('proto/check.sh', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
  const env = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    MP_GO_BIN: path.join(REPO_ROOT, '.tools/go/bin'),
    MP_VENV: path.join(REPO_ROOT, '.venv'),
  };
  const check = () => {
    const r = spawnSync('bash', [path.join(repo, 'proto/check.sh')], { encoding: 'utf8', env });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(repo, file);
    const text = readFileSync(p, 'utf8');
    expect(text).toContain(from);
    writeFileSync(p, text.replace(from, to));
  };
  const regenerate = () => execFileSync('bash', [path.join(repo, 'proto/generate.sh')], { stdio: 'pipe', env });

  beforeAll(() => {
    // The plugins the generation needs, installed as on a fresh machine (quick once installed).
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/go_tools.sh')], { stdio: 'pipe' });
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/python_env.sh')], { stdio: 'pipe' });
    repo = mkdtempSync(path.join(tmpdir(), 'mp-proto-check-'));
    const skipped = ['node_modules', 'dist', '__pycache__', '.pytest_cache'].map((d) => `${path.sep}${d}`);
    for (const item of COPIED) {
      cpSync(path.join(REPO_ROOT, item), path.join(repo, item), {
        recursive: true,
        filter: (src) => !skipped.some((d) => src.includes(d)),
      });
    }
    symlinkSync(path.join(REPO_ROOT, 'proto/gen/node_modules'), path.join(repo, 'proto/gen/node_modules'));
    git('init', '-q');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '-A');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'contracts');
  }, 900_000);

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('passes on the committed contracts', () => {
    const r = check();
    expect(r.out).toContain('all checks passed');
    expect(r.status).toBe(0);
  }, 240_000);

  it('fails when generated code is stale', () => {
    edit(market, '  double price = 2;', '  double price = 2;\n  string venue = 90;');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL stale');
    git('checkout', '-q', '--', '.');
  }, 240_000);

  it('fails when a field changes its number, even with the code regenerated', () => {
    edit(market, '  double price = 2;', '  double price = 20;');
    regenerate();
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qam', 'renumber price');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL breaking');
    expect(r.out).toMatch(/field "2" with name "price"/);
    git('reset', '-q', '--hard', 'HEAD~1');
  }, 90_000);

  it('fails when a generated client is stale, naming it', () => {
    const go = path.join(repo, 'clients/go/marketpulse/market/v1/market.pb.go');
    writeFileSync(go, readFileSync(go, 'utf8').replace('type Quote struct', 'type QuoteEdited struct'));
    const py = path.join(repo, 'clients/python/marketpulse/market/v1/market_pb2_grpc.py');
    writeFileSync(py, `${readFileSync(py, 'utf8')}# edited by hand\n`);
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL stale: clients/go/marketpulse does not match');
    expect(r.out).toContain('FAIL stale: clients/python/marketpulse does not match');
    expect(r.out).toContain('ok: proto/gen/src matches');
    git('checkout', '-q', '--', '.');
  }, 240_000);

  it('fails when a language option is missing or differs from its package, even though buf breaking lets options change', () => {
    edit(
      market,
      'option go_package = "marketpulse.dev/clients/go/marketpulse/market/v1;marketv1";',
      'option go_package = "example.com/market;market";',
    );
    edit('proto/marketpulse/events/v1/system.proto', 'option java_outer_classname = "SystemProto";\n', '');
    regenerate();
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qam', 'move go_package, drop the outer class name');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL options');
    expect(r.out).toContain(
      'marketpulse/market/v1/market.proto: option go_package is "example.com/market;market"; write: option go_package = "marketpulse.dev/clients/go/marketpulse/market/v1;marketv1";',
    );
    // Without it Java would generate a class named System, hiding java.lang.System.
    expect(r.out).toContain(
      'marketpulse/events/v1/system.proto: option java_outer_classname is not set; write: option java_outer_classname = "SystemProto";',
    );
    expect(r.out).toContain('ok: no breaking change since HEAD~1');
    git('reset', '-q', '--hard', 'HEAD~1');
  }, 90_000);

  it('fails on a buf lint finding', () => {
    edit(market, '  double price = 2;', '  double price = 2;\n  string feedName = 91;');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL lint');
    git('checkout', '-q', '--', '.');
  }, 240_000);
});
