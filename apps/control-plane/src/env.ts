import { z } from 'zod';

// The control plane's environment, read once here (lint forbids process.env elsewhere).
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  DATABASE_URL: z.string().url({ error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
  TRELLIS_DATA_DIR: z.string().optional(),
  TRELLIS_REDIS_URL: z.string().optional(),
  TRELLIS_TRACE_SAMPLING: z.coerce.number().min(0).max(1).optional(),
  /** An admin API token held in memory only (ControlPlaneOptions.bootstrapToken). */
  TRELLIS_BOOTSTRAP_TOKEN: z.string().min(24, { error: 'TRELLIS_BOOTSTRAP_TOKEN must be at least 24 characters' }).optional(),
  /** The first admin's password, when there are no users yet (ControlPlaneOptions.adminPassword). */
  TRELLIS_ADMIN_PASSWORD: z.string().min(10, { error: 'TRELLIS_ADMIN_PASSWORD must be at least 10 characters' }).optional(),
  /** Seals the self-managed CA kept in the database (ControlPlaneOptions.caSecret). */
  TRELLIS_CA_SECRET: z.string().min(32, { error: 'TRELLIS_CA_SECRET must be at least 32 characters' }).optional(),
  TRELLIS_DASHBOARD_URL: z.string().url({ error: 'TRELLIS_DASHBOARD_URL must be a URL like http://127.0.0.1:7401' }).optional(),
  TRELLIS_OIDC_ISSUER: z.string().url({ error: 'TRELLIS_OIDC_ISSUER must be the issuer URL' }).optional(),
  TRELLIS_OIDC_CLIENT_ID: z.string().optional(),
  TRELLIS_OIDC_CLIENT_SECRET: z.string().optional(),
  /** "platform=admin;shop-devs=editor:shop" (oidc-config.ts parseRoleMappings). */
  TRELLIS_OIDC_ROLES: z.string().optional(),
});

export type ControlPlaneEnv = z.infer<typeof schema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneEnv {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
