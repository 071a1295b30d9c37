import { z } from 'zod';

/**
 * The dashboard server's environment, read at request time (never baked in at build time), so one
 * build serves any control plane.
 */
const schema = z.object({
  /** The control plane the dashboard passes the browser's API calls to (and asks who is signed in). */
  TRELLIS_SERVER: z.url().default('http://127.0.0.1:7400'),
});

export function serverEnv(): z.infer<typeof schema> {
  return schema.parse({ TRELLIS_SERVER: process.env.TRELLIS_SERVER || undefined });
}
