import { Writable } from 'node:stream';
import { createLogger } from '@marketpulse/runtime';

/** A logger at `info` whose JSON lines a test reads back, parsed, from `lines`. */
export function capturedLog(name: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger(name, {}, { level: 'info', destination }) };
}
