import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// The first command says what it does during every long step (issue 17): scripts/toolchain.sh's
// mp_progress wraps the Node install and the build; and pnpm's "Ignored build scripts" box never
// shows, because every installed package with an install script is named in pnpm-workspace.yaml.

describe('the first command shows progress and no unexplained warning box', () => {
  it('prints a "still …" line every 5 s of a long step and how long it took', () => {
    const script = `source "${path.join(REPO_ROOT, 'scripts/toolchain.sh')}" && mp_progress "waiting" sleep 6`;
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/… still waiting \(\d+ s\)/);
    expect(run.stderr).toMatch(/waiting: done in \d+ s/);
  });

  it('passes the failing step on: its status, and no "done" line', () => {
    const script = `source "${path.join(REPO_ROOT, 'scripts/toolchain.sh')}" && mp_progress "failing" bash -c "exit 3"`;
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(run.status).toBe(3);
    expect(run.stderr).not.toMatch(/failing: done/);
  });

  it('names every installed package that has an install script in pnpm-workspace.yaml', () => {
    const workspace = readFileSync(path.join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8');
    const listed = new Set([...workspace.matchAll(/^\s+-\s+'?([@\w./-]+)'?\s*$/gm)].map((m) => m[1]));
    const store = path.join(REPO_ROOT, 'node_modules/.pnpm');
    const withScripts = new Set<string>();
    for (const entry of readdirSync(store)) {
      const modules = path.join(store, entry, 'node_modules');
      if (!existsSync(modules)) continue;
      const names = readdirSync(modules).flatMap((n) =>
        n.startsWith('@') ? readdirSync(path.join(modules, n)).map((m) => `${n}/${m}`) : [n],
      );
      for (const name of names) {
        const manifest = path.join(modules, name, 'package.json');
        if (!existsSync(manifest)) continue;
        const scripts = (JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
        if (scripts.preinstall || scripts.install || scripts.postinstall) withScripts.add(name);
      }
    }
    expect(withScripts.size).toBeGreaterThan(0);
    expect([...withScripts].filter((name) => !listed.has(name)).sort()).toEqual([]);
  });
});
