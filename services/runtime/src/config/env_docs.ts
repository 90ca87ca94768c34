import { z } from 'zod';

export interface EnvVarDoc {
  name: string;
  required: boolean;
  default?: string;
  description: string;
}

/** One entry per variable of `schema`, in declaration order, for README tables and --help output. */
export function describeEnv(schema: z.ZodObject): EnvVarDoc[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    const fallback = type instanceof z.ZodDefault ? (type.def.defaultValue as unknown) : undefined;
    return {
      name,
      required: !type.safeParse(undefined).success,
      default: fallback === undefined ? undefined : String(fallback),
      description: type.description ?? '',
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The variables of `schema` as a Markdown table: Variable | Default | Description. */
export function renderEnvDocs(schema: z.ZodObject): string {
  const rows = describeEnv(schema).map((v) => {
    const fallback = v.default !== undefined ? `\`${v.default}\`` : v.required ? '(required)' : '(unset)';
    return `| \`${v.name}\` | ${cell(fallback)} | ${cell(v.description)} |`;
  });
  return ['| Variable | Default | Description |', '|---|---|---|', ...rows].join('\n') + '\n';
}
