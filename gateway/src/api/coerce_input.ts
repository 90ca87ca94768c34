import type { z } from 'zod';

type AnySchema = z.ZodType & { _zod: { def: { type: string; innerType?: AnySchema; element?: AnySchema; in?: AnySchema } } };

/** The schema under optional/default/nullable wrappers. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') && def.innerType)
      s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

function coerceOne(value: string, schema: AnySchema): unknown {
  const type = unwrap(schema)._zod.def.type;
  // A decimal number as JSON writes it (leading zeros allowed): Number() also takes `0x10`, `0b1`,
  // ` 5 ` and `Infinity`, so `?hours=0x10` read as 16 where the client meant something else.
  if (type === 'number') return DECIMAL.test(value) ? Number(value) : value;
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
  // Keys are the client's (?toString=, ?__proto__=): only the schema's own fields are looked up, and
  // fromEntries makes every key a plain property, never the prototype.
  return Object.fromEntries(
    Object.entries(values).map(([key, raw]) => {
      const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (!field) return [key, raw];
      const inner = unwrap(field);
      if (inner._zod.def.type === 'array' && inner._zod.def.element) {
        const element = inner._zod.def.element;
        return [key, (Array.isArray(raw) ? raw : raw.split(',')).map((v) => coerceOne(v, element))];
      }
      return [key, coerceOne(Array.isArray(raw) ? raw[raw.length - 1]! : raw, field)];
    }),
  );
}
