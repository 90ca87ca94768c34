// Checks that every .proto sets each language option to the value derived from its package and
// file name, so that generated code has the same shape in every language and none of it collides
// with a language's own names (system.proto once generated a Java class named `System`).
// Reads `buf build --exclude-imports -o -#format=json` on stdin; prints each wrong or missing
// option with the line to write; exits 1 if there is any. proto/check.sh runs it.
//   (cd proto && gen/node_modules/.bin/buf build --exclude-imports -o -#format=json) | node proto/language_options.mjs

// Objective-C has one flat namespace: each area gets its own prefix, listed here once.
const OBJC_CLASS_PREFIXES = {
  alerting: 'MPAL',
  events: 'MPEV',
  market: 'MPMA',
  prediction: 'MPPD',
  providers: 'MPPV',
  realtime: 'MPRT',
  webhooks: 'MPWH',
};

/** The options a file in package `marketpulse.<area>.v1` named `<stem>.proto` must set. */
export function expectedOptions(pkg, fileName) {
  const match = /^marketpulse\.([a-z]+)\.(v[0-9]+)$/.exec(pkg);
  if (!match) return undefined;
  const [, area, version] = match;
  const Area = area[0].toUpperCase() + area.slice(1);
  const V = version.toUpperCase();
  const stem = fileName
    .split('/')
    .pop()
    .replace(/\.proto$/, '');
  const pascal = stem
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
  return {
    csharp_namespace: `Marketpulse.${Area}.${V}`,
    go_package: `marketpulse.dev/clients/go/marketpulse/${area}/${version};${area}${version}`,
    java_multiple_files: true,
    // Always <File>Proto: a bare file name would make system.proto's outer class `System`.
    java_outer_classname: `${pascal}Proto`,
    java_package: `dev.marketpulse.${area}.${version}`,
    objc_class_prefix: OBJC_CLASS_PREFIXES[area] ?? `(add "${area}" to OBJC_CLASS_PREFIXES in proto/language_options.mjs)`,
    php_namespace: `Marketpulse\\${Area}\\${V}`,
    ruby_package: `Marketpulse::${Area}::${V}`,
  };
}

const camel = (snake) => snake.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** Problems of one FileDescriptorSet (protojson): `file: line to write` strings. */
export function checkLanguageOptions(set) {
  const problems = [];
  const prefixes = new Map();
  for (const file of set.file ?? []) {
    const want = expectedOptions(file.package ?? '', file.name);
    if (!want) {
      problems.push(`${file.name}: package "${file.package}" is not marketpulse.<area>.v<N>`);
      continue;
    }
    const options = file.options ?? {};
    for (const [name, value] of Object.entries(want)) {
      const have = options[camel(name)] ?? options[name];
      if (have !== value) {
        const literal = typeof value === 'string' ? JSON.stringify(value) : String(value);
        problems.push(
          `${file.name}: option ${name} is ${have === undefined ? 'not set' : JSON.stringify(have)}; write: option ${name} = ${literal};`,
        );
      }
    }
    const owner = prefixes.get(want.objc_class_prefix);
    if (owner && owner !== file.package)
      problems.push(`${file.name}: objc_class_prefix ${want.objc_class_prefix} is also ${owner}'s; rename an area`);
    prefixes.set(want.objc_class_prefix, file.package);
  }
  return problems;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const problems = checkLanguageOptions(JSON.parse(input));
  for (const p of problems) console.log(p);
  process.exit(problems.length ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
