import { z } from 'zod';

// The control plane's environment, read once here (lint forbids process.env elsewhere).
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: z.string().url({ error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
  TRELLIS_DATA_DIR: z.string().optional(),
  TRELLIS_REDIS_URL: z.string().optional(),
  TRELLIS_TRACE_SAMPLING: z.coerce.number().min(0).max(1).optional(),
});

export type ControlPlaneEnv = z.infer<typeof schema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneEnv {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
