// The import fences, as one ESLint rule: which workspace package may import which, and how.
//
//   - A package reaches another package only through its public entry: `@marketpulse/<name>` (or a
//     subpath the target's package.json declares in `exports`), never a relative path into the other
//     package's folder nor `@marketpulse/<name>/src/...`. Tests and benchmarks included.
//   - A service (a package under services/, the shared runtime included) never imports another
//     service, the gateway, the client or the test harness; the runtime and the contracts
//     (@marketpulse/proto) are what services share.
//   - The dashboard imports only the published client, @marketpulse/client.
//   - Only tests and benchmarks import the test harness (@marketpulse/tests) or the benchmarks.
//
// no-restricted-imports cannot say "a relative path that lands in another package" at any depth,
// so the rule resolves each specifier to the package whose folder holds it (the nearest
// package.json) and judges the pair.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/[\\/]$/, '');
const SCOPE = '@marketpulse/';
// Packages under services/ that are not services: the runtime is what services share, the suite
// composes every service and the gateway into one process.
const SHARED_BY_SERVICES = new Set(['runtime', 'proto']);
const COMPOSERS = new Set(['suite']);
const DASHBOARD_MAY_IMPORT = new Set(['client']);
const TEST_CODE = new Set(['tests', 'bench']);

/** @typedef {{ dir: string; name: string; exports: Set<string> } | undefined} Pkg */

const packageOfDir = new Map();
/** The workspace package whose folder holds `file` (the nearest package.json below the root). */
function packageOf(file, root) {
  let dir = path.dirname(file);
  const seen = [];
  let found;
  while (dir.startsWith(root) && dir !== root) {
    if (packageOfDir.has(dir)) {
      found = packageOfDir.get(dir);
      break;
    }
    seen.push(dir);
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      found = readPackage(dir, manifest);
      break;
    }
    dir = path.dirname(dir);
  }
  for (const d of seen) packageOfDir.set(d, found);
  return found;
}

function readPackage(dir, manifest) {
  const json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  if (typeof json.name !== 'string' || !json.name.startsWith(SCOPE)) return undefined;
  const exports = new Set(json.exports && typeof json.exports === 'object' ? Object.keys(json.exports) : []);
  return { dir, name: json.name.slice(SCOPE.length), exports, isService: path.basename(path.dirname(dir)) === 'services' };
}

const packageByName = new Map();
function packageNamed(name, root) {
  if (!packageByName.has(name)) {
    let found;
    for (const parent of ['', 'services', 'clients', 'proto']) {
      const base = path.join(root, parent);
      if (!fs.existsSync(base)) continue;
      for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name === 'node_modules') continue;
        const manifest = path.join(base, entry.name, 'package.json');
        if (!fs.existsSync(manifest)) continue;
        const pkg = readPackage(path.join(base, entry.name), manifest);
        if (pkg?.name === name) found = pkg;
      }
    }
    packageByName.set(name, found);
  }
  return packageByName.get(name);
}

const isServiceSide = (pkg) => pkg !== undefined && pkg.isService && !COMPOSERS.has(pkg.name);

/** @type {import('eslint').Rule.RuleModule} */
export const importFences = {
  meta: {
    type: 'problem',
    docs: { description: 'Workspace packages import each other only through public entries; services never import each other' },
    schema: [],
    messages: {
      deepImport:
        "'{{specifier}}' reaches into {{target}}'s files: import '@marketpulse/{{target}}' (its public entry) and export what you need from its index.",
      serviceImport:
        "'{{specifier}}': the service {{source}} must not import {{target}}; services share only @marketpulse/runtime and @marketpulse/proto.",
      dashboardImport: "'{{specifier}}': the dashboard imports only @marketpulse/client.",
      testCodeImport: "'{{specifier}}': product code ({{source}}) never imports {{target}}, which only tests and benchmarks use.",
    },
  },
  create(context) {
    const filename = context.filename;
    const root = ROOT;
    const source = packageOf(filename, root);
    if (source === undefined) return {};

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      let target;
      let viaEntry;
      if (specifier.startsWith('.')) {
        target = packageOf(path.resolve(path.dirname(filename), specifier, 'x'), root);
        if (target === undefined || target.dir === source.dir) return;
        viaEntry = false;
      } else if (specifier.startsWith(SCOPE)) {
        const [name, ...rest] = specifier.slice(SCOPE.length).split('/');
        target = packageNamed(name, root) ?? { name, exports: new Set(), isService: false };
        const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
        viaEntry = subpath === '.' || target.exports.has(subpath);
      } else {
        return;
      }
      const data = { specifier, source: source.name, target: target.name };
      if (isServiceSide(source) && target.name !== source.name && !SHARED_BY_SERVICES.has(target.name)) {
        context.report({ node, messageId: 'serviceImport', data });
      } else if (source.name === 'dashboard' && target.name !== source.name && !DASHBOARD_MAY_IMPORT.has(target.name)) {
        context.report({ node, messageId: 'dashboardImport', data });
      } else if (TEST_CODE.has(target.name) && !TEST_CODE.has(source.name)) {
        context.report({ node, messageId: 'testCodeImport', data });
      } else if (!viaEntry) {
        context.report({ node, messageId: 'deepImport', data });
      }
    }

    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => check(node.source, literal(node.source)),
      TSImportType: (node) => check(node, literal(node.argument?.literal ?? node.argument)),
      TSExternalModuleReference: (node) => check(node.expression, literal(node.expression)),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length === 1) {
          check(node.arguments[0], literal(node.arguments[0]));
        }
      },
    };
  },
};
