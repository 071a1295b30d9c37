import os from 'node:os';
import path from 'node:path';

// The CLI's environment, read once here.
export const cliEnv = {
  server: process.env.TRELLIS_SERVER,
  /**
   * Commands that call the API: an API token for scripts (wins over the one `trellis login` stored).
   * `trellis proxy`: its join token, when --token-file is not given (a join token is never sent to the API).
   */
  token: process.env.TRELLIS_TOKEN || undefined,
  /** Where `trellis login` keeps tokens: $XDG_CONFIG_HOME/trellis, else ~/.config/trellis. */
  configDir: path.join(process.env.XDG_CONFIG_HOME || path.join(process.env.HOME || os.homedir(), '.config'), 'trellis'),
  /** `trellis proxy`: the mesh roots (PEM) when --ca-file is not given; an injected sidecar gets them this way. */
  caRoots: process.env.TRELLIS_CA_ROOTS || undefined,
  port: process.env.PORT,
  /** `trellis proxy`: set by a --workers primary in the processes it forks (PROXY_WORKER_ENV). */
  proxyWorker: process.env.TRELLIS_PROXY_WORKER === '1',
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.TRELLIS_DATA_DIR,
  redisUrl: process.env.TRELLIS_REDIS_URL,
  /** `trellis control-plane`: an in-memory admin token (never stored); `trellis up` makes one per run unless given. */
  bootstrapToken: process.env.TRELLIS_BOOTSTRAP_TOKEN || undefined,
  /** `trellis control-plane`: the first admin's password, for automation (otherwise random, and a sign-in link is printed). */
  adminPassword: process.env.TRELLIS_ADMIN_PASSWORD || undefined,
  dashboardUrl: process.env.TRELLIS_DASHBOARD_URL || undefined,
  /** `trellis control-plane`: keep the mesh CA in the database, sealed with this secret (replicas on one Postgres share it). */
  caSecret: process.env.TRELLIS_CA_SECRET || undefined,
  oidc: {
    issuer: process.env.TRELLIS_OIDC_ISSUER || undefined,
    clientId: process.env.TRELLIS_OIDC_CLIENT_ID || undefined,
    /** Only from the environment: a secret does not belong in a command line others can read in `ps`. */
    clientSecret: process.env.TRELLIS_OIDC_CLIENT_SECRET || undefined,
    roles: process.env.TRELLIS_OIDC_ROLES || undefined,
  },
};

/** The environment for a child process: ours, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/**
 * `trellis proxy` has taken its join token: it leaves the environment, so the processes the proxy starts
 * (--workers, whose identity comes from the primary) do not inherit it.
 */
export function forgetJoinToken(): void {
  delete process.env.TRELLIS_TOKEN;
  cliEnv.token = undefined;
}
