import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';

// Every service has the same shape (issue 20): the same files under the same names, the same public
// entry, the same handle field for its port, the same README sections, and no event code reaching
// into its grpc/ folder. Found by directory, so a new service is held to it without being listed here.

const SERVICES_DIR = path.join(REPO_ROOT, 'services');
/** Packages under services/ that are not services: what the services share. */
const SHARED = new Set(['runtime']);
const services = readdirSync(SERVICES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !SHARED.has(d.name) && existsSync(path.join(SERVICES_DIR, d.name, 'package.json')))
  .map((d) => d.name);

const FILES = ['src/main.ts', 'src/service.ts', 'src/config.ts', 'src/errors.ts', 'src/grpc/server.ts', 'src/index.ts', 'README.md'];
const README_SECTIONS = ['## What it does', '## RPCs and events', '## Configuration', '## Run it alone', '## Tests', '## Code map'];

const pascal = (name: string) => name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
const camel = (name: string) => pascal(name).replace(/^./, (c) => c.toLowerCase());
const read = (service: string, file: string) => readFileSync(path.join(SERVICES_DIR, service, file), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(full);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('the service template', () => {
  it('finds the five services', () => {
    expect(services).toEqual(expect.arrayContaining(['market-data', 'prediction', 'alerting', 'webhook-delivery', 'provider-monitor']));
  });

  describe.each(services)('%s', (service) => {
    it('has the template files', () => {
      expect(FILES.filter((f) => !existsSync(path.join(SERVICES_DIR, service, f)))).toEqual([]);
    });

    it('exports start<Name>, loadConfig, <name>ConfigSchema and <name>Errors from its public entry', async () => {
      const entry = (await import(`@marketpulse/${service}`)) as Record<string, unknown>;
      expect(typeof entry[`start${pascal(service)}`]).toBe('function');
      expect(typeof entry.loadConfig).toBe('function');
      expect(entry[`${camel(service)}ConfigSchema`]).toBeDefined();
      expect((entry[`${camel(service)}Errors`] as { domain?: unknown } | undefined)?.domain).toMatch(/^marketpulse\.[a-z]+$/);
    });

    it('names its config type, reason type and handle port the same way as the others', () => {
      expect(read(service, 'src/config.ts')).toMatch(new RegExp(`export type ${pascal(service)}Config = `));
      expect(read(service, 'src/errors.ts')).toMatch(
        new RegExp(`export type ${pascal(service)}Reason = keyof typeof ${camel(service)}Errors\\.reasons;`),
      );
      expect(read(service, 'src/service.ts')).toMatch(new RegExp(`export interface ${pascal(service)}Handle \\{[^}]*\\bgrpcPort: number;`));
      expect(read(service, 'src/main.ts')).toContain('grpc_port: handle.grpcPort');
    });

    it('has a README with the same sections, in the same order', () => {
      const headings = read(service, 'README.md')
        .split('\n')
        .filter((l) => l.startsWith('## '));
      expect(headings.filter((h) => README_SECTIONS.includes(h))).toEqual(README_SECTIONS);
    });

    it('keeps its grpc/ folder to itself: only service.ts serves it, no event code maps through it', () => {
      const src = path.join(SERVICES_DIR, service, 'src');
      const offenders = sourceFiles(src)
        .filter((file) => !path.relative(src, file).startsWith(`grpc${path.sep}`))
        .flatMap((file) => {
          const rel = path.relative(src, file);
          return [...readFileSync(file, 'utf8').matchAll(/from '([^']*\/grpc\/[^']*)'/g)]
            .map((m) => m[1])
            .filter((spec) => !(rel === 'service.ts' && spec === './grpc/server') && !spec.endsWith('/grpc/client'))
            .map((spec) => `${rel} imports ${spec}`);
        });
      expect(offenders).toEqual([]);
    });
  });
});
