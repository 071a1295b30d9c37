import type { z } from 'zod';

type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/nullable/readonly/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of `value` whose object keys follow the order the zod schema declares them (apiVersion, kind,
 * metadata, spec; targetRef first in a spec), so YAML reads the way the docs and examples are written.
 * Keys the schema does not know keep their place after the known ones.
 */
export function orderBySchema(value: unknown, schema: z.ZodType): unknown {
  const s = unwrap(schema);
  const def = defOf(s);
  if (Array.isArray(value)) return def.type === 'array' && def.element ? value.map((v) => orderBySchema(v, def.element as z.ZodType)) : value;
  if (!isPlainObject(value)) return value;
  if (def.type === 'object' && def.shape) {
    const shape = def.shape;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(shape)) if (key in value) out[key] = orderBySchema(value[key], shape[key] as z.ZodType);
    for (const [key, v] of Object.entries(value)) if (!(key in out)) out[key] = v;
    return out;
  }
  if (def.type === 'union' && def.options) {
    // The option whose declared keys cover the value's (a discriminated union's member, hashOn's header or cookie).
    const fits = def.options.find((o) => {
      const od = defOf(unwrap(o));
      return od.type === 'object' && od.shape && Object.keys(value).every((k) => k in (od.shape as object));
    });
    return fits ? orderBySchema(value, fits) : value;
  }
  return value;
}
