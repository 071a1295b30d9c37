import { z } from 'zod';

/**
 * The dashboard server's environment, read at request time (never baked in at build time), so one
 * build serves any control plane.
 */
const schema = z.object({
  TRELLIS_SERVER: z.url().default('http://127.0.0.1:7400'),
  /** Recorded as the author of the revisions this dashboard writes, unless the user names themselves. */
  TRELLIS_USER: z.string().min(1).max(200).default('dashboard'),
});

export function serverEnv(): z.infer<typeof schema> {
  return schema.parse({ TRELLIS_SERVER: process.env.TRELLIS_SERVER || undefined, TRELLIS_USER: process.env.TRELLIS_USER || undefined });
}
