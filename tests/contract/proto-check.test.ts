import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// proto/check.sh is what makes CI fail on a contract mistake. It runs here against a scratch git
// repository holding a copy of proto/ (the buf and ts-proto binaries linked in), so each mistake
// can be committed or left in the tree without touching the real one.
const market = 'proto/marketpulse/market/v1/market.proto';

describe('proto/check.sh', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
  const check = () => {
    const r = spawnSync('bash', [path.join(repo, 'proto/check.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(repo, file);
    const text = readFileSync(p, 'utf8');
    expect(text).toContain(from);
    writeFileSync(p, text.replace(from, to));
  };
  const regenerate = () => execFileSync('bash', [path.join(repo, 'proto/generate.sh')], { stdio: 'pipe', env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });

  beforeAll(() => {
    repo = mkdtempSync(path.join(tmpdir(), 'mp-proto-check-'));
    cpSync(path.join(REPO_ROOT, 'proto'), path.join(repo, 'proto'), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}dist`) });
    symlinkSync(path.join(REPO_ROOT, 'proto/gen/node_modules'), path.join(repo, 'proto/gen/node_modules'));
    git('init', '-q');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '-A');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'contracts');
  }, 60_000);

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('passes on the committed contracts', () => {
    const r = check();
    expect(r.out).toContain('all checks passed');
    expect(r.status).toBe(0);
  }, 60_000);

  it('fails when generated code is stale', () => {
    edit(market, '  double price = 2;', '  double price = 2;\n  string venue = 90;');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL stale');
    git('checkout', '-q', '--', '.');
  }, 60_000);

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

  it('fails on a buf lint finding', () => {
    edit(market, '  double price = 2;', '  double price = 2;\n  string feedName = 91;');
    const r = check();
    expect(r.status).toBe(1);
    expect(r.out).toContain('FAIL lint');
    git('checkout', '-q', '--', '.');
  }, 60_000);
});
