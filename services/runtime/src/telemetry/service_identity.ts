import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServiceIdentity {
  name: string;
  version: string;
  instanceId: string;
}

/** The package.json nearest to the entry script: it names and versions the process when env does not. */
function entryPackage(entry: string | undefined): { name?: string; version?: string } {
  if (!entry) return {};
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      } catch {
        return {};
      }
    }
    if (dirname(dir) === dir) return {};
  }
}

export function serviceIdentity(env: NodeJS.ProcessEnv = process.env, entry = process.argv[1]): ServiceIdentity {
  const pkg = entryPackage(entry);
  return {
    name: env.OTEL_SERVICE_NAME || env.SERVICE_NAME || pkg.name?.replace(/^@[^/]+\//, '') || 'marketpulse',
    version: env.SERVICE_VERSION || pkg.version || '0.0.0',
    instanceId: randomUUID(),
  };
}
