import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Workspace packages resolve to their sources, so tests never need a prior `tsc -b`.
const packageSources: Record<string, string> = {
  proto: 'proto/gen/src/index.ts',
  runtime: 'services/runtime/src/index.ts',
  'market-data': 'services/market-data/src/index.ts',
  prediction: 'services/prediction/src/index.ts',
  alerting: 'services/alerting/src/index.ts',
  'webhook-delivery': 'services/webhook-delivery/src/index.ts',
  'provider-monitor': 'services/provider-monitor/src/index.ts',
  suite: 'suite/src/index.ts',
  gateway: 'gateway/src/index.ts',
  tests: 'tests/harness/index.ts',
  client: 'clients/ts/src/index.ts',
};

export default defineConfig({
  root,
  resolve: {
    alias: Object.entries(packageSources).map(([name, file]) => ({
      find: new RegExp(`^@marketpulse/${name}$`),
      replacement: path.join(root, file),
    })),
  },
  test: {
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Files named *.outage.test.ts start and stop servers of their own (a second broker, a second
    // PostgreSQL): they run one at a time, after everything else, so no two JVMs race for ports.
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: [
            'services/*/src/**/*.test.ts',
            'gateway/src/**/*.test.ts',
            'suite/src/**/*.test.ts',
            'clients/ts/src/**/*.test.ts',
            'tests/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.outage.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'outage', include: ['tests/**/*.outage.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
    globalSetup: ['tests/harness/global-setup.ts'],
    // The machine has 2 cores and the servers under test need some of them.
    pool: 'forks',
    maxWorkers: 2,
    // kafkajs 2.2.4 arms timers with negative delays, which Node 24 warns about on every run.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
