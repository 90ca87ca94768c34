import type { z } from 'zod';

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; element?: AnySchema; in?: AnySchema } } };

/** The schema under optional/default/nullable wrappers. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

function coerceOne(value: string, schema: AnySchema): unknown {
  const type = unwrap(schema)._zod.def.type;
  if (type === 'number') return value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/**
 * Query and path strings to the types the input schema declares (numbers, booleans, arrays), so
 * `?hours=24&acknowledged=false` validates; anything that does not convert is left for the schema
 * to reject by field name. Unknown keys pass through unchanged.
 */
export function coerceStrings(values: Record<string, string | string[]>, objectSchema: z.ZodType | undefined): Record<string, unknown> {
  const shape = (objectSchema && (unwrap(objectSchema as AnySchema) as unknown as { shape?: Record<string, AnySchema> }).shape) ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(values)) {
    const field = shape[key];
    if (!field) {
      out[key] = raw;
      continue;
    }
    const inner = unwrap(field);
    if (inner._zod.def.type === 'array' && inner._zod.def.element) {
      const element = inner._zod.def.element;
      out[key] = (Array.isArray(raw) ? raw : raw.split(',')).map((v) => coerceOne(v, element));
    } else {
      out[key] = coerceOne(Array.isArray(raw) ? raw[raw.length - 1]! : raw, field);
    }
  }
  return out;
}
