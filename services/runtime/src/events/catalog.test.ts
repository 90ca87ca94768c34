import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { suiteDescriptorIndex } from '../grpc/reflection';
import { EVENT_CATALOG, EVENT_TYPES, typesWhere } from './catalog';
import { CHANNELS } from './channels';

const REPO = path.resolve(import.meta.dirname, '../../../..');
const CATALOG = path.join(REPO, 'services/runtime/src/events/catalog.ts');
const GENERATED_EVENT = path.join(REPO, 'proto/gen/src/marketpulse/events/v1/event.ts');

/** The payload oneof of events.v1.Event as the generated descriptors (proto/generate.sh) state it, in field order. */
function payloadCases(): string[] {
  const event = suiteDescriptorIndex()
    .file('marketpulse/events/v1/event.proto')!
    .messageType.find((m) => m.name === 'Event')!;
  const payload = event.oneofDecl.findIndex((o) => o.name === 'payload');
  // oneof_index is a proto2 optional: an unset one reads 0 through the prototype, so ask whether it is set.
  return event.field.filter((f) => Object.hasOwn(f, 'oneofIndex') && f.oneofIndex === payload).map((f) => f.name);
}

/**
 * Type-checks catalog.ts against the generated Event, each optionally rewritten, the way `tsc -b`
 * does (strict); returns the error messages.
 */
function typeErrors(rewrite: { catalog?: (text: string) => string; generatedEvent?: (text: string) => string } = {}): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
    baseUrl: REPO,
    paths: { '@marketpulse/proto': ['proto/gen/src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language) => {
    const resolved = path.resolve(file);
    const change = resolved === CATALOG ? rewrite.catalog : resolved === GENERATED_EVENT ? rewrite.generatedEvent : undefined;
    if (change) return ts.createSourceFile(file, change(readFileSync(resolved, 'utf8')), language);
    let parsed = parsedFiles.get(resolved);
    if (!parsed) parsedFiles.set(resolved, (parsed = getSourceFile(file, language)));
    return parsed;
  };
  const program = ts.createProgram([CATALOG], options, host);
  // Only catalog.ts is checked (what it uses of the generated code is resolved on the way): the
  // generated files themselves are tsc's business, and checking them all is slow.
  const file = program.getSourceFile(CATALOG)!;
  return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  );
}

/** Parsed files shared by the programs of this file (each compiles the same generated code). */
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

/** What `bash proto/generate.sh` would write after adding `Tick new_kind = 99;` to the payload oneof. */
const withNewCase = (text: string) => {
  const last = '    | { $case: "webhook_delivery"; webhook_delivery: DeliveryOutcome }\n';
  expect(text).toContain(last);
  return text.replace(last, `${last}    | { $case: "new_kind"; new_kind: Tick }\n`);
};

/** catalog.ts with one more row, as a contributor would add it. */
const withRow = (name: string) => (text: string) => {
  const end = '} as const satisfies EventCatalog;';
  expect(text).toContain(end);
  const row = `  ${name}: {
    topic: '${name}',
    channel: CHANNELS.marketData,
    visibility: 'system',
    source: 'market-data',
    description: 'A probe.',
    publishApi: false,
    webhooks: true,
  },
`;
  return text.replace(end, row + end);
};

describe('the event catalog', () => {
  it('has one row per payload case of the generated descriptor, in field order', () => {
    expect(EVENT_TYPES).toEqual(payloadCases());
  });

  it('gives every type a topic of its own and a channel of the channel table', () => {
    const topics = EVENT_TYPES.map((type) => EVENT_CATALOG[type].topic);
    expect(new Set(topics).size).toBe(topics.length);
    for (const topic of topics) expect(topic).toMatch(/^[a-z][a-z0-9_]*$/);
    const channels = new Set<string>(Object.values(CHANNELS));
    for (const type of EVENT_TYPES) {
      expect(channels.has(EVENT_CATALOG[type].channel), type).toBe(true);
      expect(EVENT_CATALOG[type].channel, `${type}: every event reaches the firehose anyway`).not.toBe(CHANNELS.events);
    }
  });

  it('keeps webhook_delivery away from webhooks (a delivery would announce itself) and suite types away from the publish API', () => {
    expect(typesWhere('webhooks')).not.toContain('webhook_delivery');
    expect(typesWhere('webhooks')).toHaveLength(EVENT_TYPES.length - 1);
    expect(typesWhere('publishApi')).toEqual(['system_log', 'system_error', 'position_update', 'equity_update', 'risk_status_update']);
  });

  // Each case runs the compiler: generous time on a busy machine, no figure asserted.
  describe('compile-time check (the TypeScript compiler on catalog.ts)', { timeout: 180_000 }, () => {
    it('compiles as it is', () => {
      expect(typeErrors()).toEqual([]);
    });

    it('fails while a new payload case has no row', () => {
      const errors = typeErrors({ generatedEvent: withNewCase });
      expect(errors.join('\n')).toMatch(/Property 'new_kind' is missing in type .* but required in type 'EventCatalog'/);
    });

    it('compiles again once the new case has its row', () => {
      expect(typeErrors({ generatedEvent: withNewCase, catalog: withRow('new_kind') })).toEqual([]);
    });

    it('fails when a row names no payload case', () => {
      expect(typeErrors({ catalog: withRow('not_a_case') }).join('\n')).toMatch(/'not_a_case' does not exist in type 'EventCatalog'/);
    });
  });

  it('is the source file the compile-time check reads', () => {
    expect(readFileSync(CATALOG, 'utf8')).toContain('} as const satisfies EventCatalog;');
  });
});
