// Writes src/generated/api.ts: the gateway's router as plain types (no zod, no gateway, no server
// framework type but tRPC's own procedure types), the event payloads of the contracts, and the
// WebSocket close/error code tables. The package then type-checks on its own when published.
//   node clients/ts/scripts/generate-api.mts          writes the file
//   node clients/ts/scripts/generate-api.mts --check  exits 1 when the file is out of date
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const root = path.resolve(pkg, '../..');
const out = path.join(pkg, 'src/generated/api.ts');
// Beside the gateway's sources (its node_modules resolve the imports), outside its build (src/).
const probe = path.join(root, 'gateway/.client_api_probe.ts');

const MAX_DEPTH = 24;

/** Prints a type structurally: object types are spelled out, so no name of the server leaks. */
function printer(checker: ts.TypeChecker) {
  const print = (type: ts.Type, depth: number, seen: ReadonlySet<ts.Type>): string => {
    if (depth > MAX_DEPTH) return 'unknown';
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'unknown';
    if (
      f &
      (ts.TypeFlags.String |
        ts.TypeFlags.Number |
        ts.TypeFlags.Boolean |
        ts.TypeFlags.BigInt |
        ts.TypeFlags.Null |
        ts.TypeFlags.Undefined |
        ts.TypeFlags.Void |
        ts.TypeFlags.Never)
    ) {
      return checker.typeToString(type);
    }
    if (f & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.BigIntLiteral))
      return checker.typeToString(type);
    if (type.isUnion()) {
      const parts = type.types.map((t) => print(t, depth + 1, seen));
      // `true | false` reads better as boolean.
      const text = [...new Set(parts)];
      const bool = text.includes('true') && text.includes('false');
      return (bool ? ['boolean', ...text.filter((p) => p !== 'true' && p !== 'false')] : text)
        .map((p) => (p.includes('=>') ? `(${p})` : p))
        .join(' | ');
    }
    if (seen.has(type)) return 'unknown';
    const next = new Set(seen).add(type);
    if (checker.isArrayType(type)) {
      const [elem] = checker.getTypeArguments(type as ts.TypeReference);
      const readonly = checker.typeToString(type).startsWith('readonly ');
      return `${readonly ? 'ReadonlyArray' : 'Array'}<${print(elem!, depth + 1, next)}>`;
    }
    if (checker.isTupleType(type)) {
      return `[${checker
        .getTypeArguments(type as ts.TypeReference)
        .map((t) => print(t, depth + 1, next))
        .join(', ')}]`;
    }
    if (f & ts.TypeFlags.Object || type.isIntersection()) {
      const members: string[] = [];
      for (const info of checker.getIndexInfosOfType(type)) {
        members.push(`[key: ${checker.typeToString(info.keyType)}]: ${print(info.type, depth + 1, next)};`);
      }
      for (const prop of checker.getPropertiesOfType(type)) {
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
        const optional = prop.flags & ts.SymbolFlags.Optional ? '?' : '';
        members.push(`${JSON.stringify(prop.name)}${optional}: ${print(propType, depth + 1, next)};`);
      }
      if (checker.getSignaturesOfType(type, ts.SignatureKind.Call).length > 0) return 'unknown';
      return members.length === 0 ? 'Record<string, never>' : `{ ${members.join(' ')} }`;
    }
    return 'unknown';
  };
  return (type: ts.Type) => print(type, 0, new Set());
}

function program(source: string): { checker: ts.TypeChecker; file: ts.SourceFile } {
  writeFileSync(probe, source);
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'gateway/tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )!;
  const p = ts.createProgram({
    rootNames: [probe],
    options: { ...config.options, noEmit: true, composite: false, incremental: false, declaration: false },
  });
  return { checker: p.getTypeChecker(), file: p.getSourceFile(probe)! };
}

function aliasType(checker: ts.TypeChecker, file: ts.SourceFile, name: string): ts.Type {
  const stmt = file.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name);
  if (!stmt) throw new Error(`probe alias ${name} missing`);
  return checker.getTypeAtLocation(stmt.name);
}

interface Proc {
  path: string[];
  kind: 'query' | 'mutation' | 'subscription';
}

function generate(): string {
  // Pass 1: the procedure paths and kinds.
  const first = program(`import type { AppRouter } from './src/api/router';
export type Record0 = AppRouter['_def']['record'];
`);
  const procs: Proc[] = [];
  const walk = (type: ts.Type, at: string[]) => {
    for (const prop of first.checker.getPropertiesOfType(type)) {
      const t = first.checker.getTypeOfSymbol(prop);
      const def = t.getProperty('_def');
      if (def) {
        const kind = first.checker.getTypeOfSymbol(def).getProperty('type');
        const literal = kind ? first.checker.typeToString(first.checker.getTypeOfSymbol(kind)).replace(/"/g, '') : '';
        if (literal === 'query' || literal === 'mutation' || literal === 'subscription')
          procs.push({ path: [...at, prop.name], kind: literal });
      } else {
        walk(t, [...at, prop.name]);
      }
    }
  };
  walk(aliasType(first.checker, first.file, 'Record0'), []);

  // Pass 2: each procedure's input and output, the error shape, the event payloads.
  const alias = (p: Proc) => p.path.join('__');
  const lines = [
    `import type { AppRouter } from './src/api/router';`,
    `import type { events } from '@marketpulse/proto';`,
    `type R = AppRouter['_def']['record'];`,
    // The builder already turned tracked() envelopes into { id, data }: the client sees this.
    `type Yield<T> = T extends AsyncIterable<infer Y, any, any> ? Y : T;`,
    `export type ErrorShape = AppRouter['_def']['_config']['$types']['errorShape'];`,
    `export type Payload = NonNullable<events.Event['payload']>;`,
  ];
  for (const p of procs) {
    const ref = `R${p.path.map((s) => `['${s}']`).join('')}['_def']['$types']`;
    lines.push(`export type I_${alias(p)} = ${ref}['input'];`);
    lines.push(`export type O_${alias(p)} = ${p.kind === 'subscription' ? `Yield<${ref}['output']>` : `${ref}['output']`};`);
  }
  const second = program(lines.join('\n'));
  const print = printer(second.checker);
  const get = (name: string) => print(aliasType(second.checker, second.file, name));

  // The router record, nested as the gateway nests it.
  type Tree = { [k: string]: Tree | string };
  const tree: Tree = {};
  for (const p of procs) {
    let node = tree;
    for (const seg of p.path.slice(0, -1)) node = (node[seg] ??= {}) as Tree;
    const input = get(`I_${alias(p)}`);
    const output = get(`O_${alias(p)}`);
    const def = `{ input: ${input}; output: ${p.kind === 'subscription' ? `AsyncIterable<${output}, void, unknown>` : output}; meta: object }`;
    const wrapper = { query: 'TRPCQueryProcedure', mutation: 'TRPCMutationProcedure', subscription: 'TRPCSubscriptionProcedure' }[p.kind];
    node[p.path.at(-1)!] = `${wrapper}<${def}>`;
  }
  const render = (node: Tree, indent: string): string =>
    `{\n${Object.entries(node)
      .map(([k, v]) => `${indent}  ${k}: ${typeof v === 'string' ? v : render(v, `${indent}  `)};`)
      .join('\n')}\n${indent}}`;

  // Event payloads: the Event envelope's oneof, one case per event type.
  const payload = aliasType(second.checker, second.file, 'Payload');
  const cases = (payload.isUnion() ? payload.types : [payload]).map((t) => {
    const c = t.getProperty('$case')!;
    const name = second.checker.typeToString(second.checker.getTypeOfSymbol(c)).replace(/"/g, '');
    const field = t.getProperty(name)!;
    return { name, type: print(second.checker.getTypeOfSymbol(field)) };
  });

  const codes = readFileSync(path.join(root, 'gateway/src/ws/codes.ts'), 'utf8');
  const table = (name: string) => {
    const m = new RegExp(`export const ${name} = (\\{[\\s\\S]*?\\n\\}) as const`).exec(codes);
    if (!m) throw new Error(`gateway/src/ws/codes.ts: ${name} table not found`);
    return m[1];
  };

  return `// Generated by clients/ts/scripts/generate-api.mts from the gateway's router, the contracts
// (proto/) and gateway/src/ws/codes.ts. Do not edit; run \`node clients/ts/scripts/generate-api.mts\`.
/* eslint-disable */
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure, TRPCSubscriptionProcedure } from '@trpc/server';

/** The error shape of every failed call: \`data.code\` and \`data.details\` are the REST error body's. */
export type ApiErrorShape = ${get('ErrorShape')};

/** The gateway's tRPC router, as types: every procedure's input and output. */
export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ApiErrorShape; transformer: false },
  ${render(tree, '  ')}
>;

/** Each event type's payload (snake_case, as in the proto and on every WebSocket door). */
export interface EventPayloads {
${cases.map((c) => `  ${c.name}: ${c.type};`).join('\n')}
}

export type EventType = keyof EventPayloads;

/** WebSocket close codes (gateway/src/ws/codes.ts): \`reconnect\` says whether reconnecting as-is can help. */
export const CLOSE = ${table('CLOSE')} as const;

/** Codes of \`error\` messages (gateway/src/ws/codes.ts). */
export const ERROR = ${table('ERROR')} as const;
`;
}

function format(text: string): string {
  // One pass of the TypeScript printer keeps the generated file stable and readable.
  const sf = ts.createSourceFile('api.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const body = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed }).printFile(sf);
  const header = text.slice(0, text.indexOf('import type'));
  return header + body.slice(body.indexOf('import type'));
}

const check = process.argv.includes('--check');
let text: string;
try {
  text = format(generate());
} finally {
  rmSync(probe, { force: true });
}
if (check) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // No file yet: it is out of date like any other difference.
  }
  if (current !== text) {
    process.stderr.write('clients/ts/src/generated/api.ts is out of date: run node clients/ts/scripts/generate-api.mts\n');
    process.exit(1);
  }
} else {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, text);
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
}
