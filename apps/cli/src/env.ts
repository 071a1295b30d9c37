import os from 'node:os';

// The CLI's environment, read once here.
export const cliEnv = {
  server: process.env.TRELLIS_SERVER,
  user: process.env.TRELLIS_USER ?? safeUsername(),
  port: process.env.PORT,
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.TRELLIS_DATA_DIR,
  redisUrl: process.env.TRELLIS_REDIS_URL,
  /** `trellis proxy`: the join token (when --token-file is not given). */
  token: process.env.TRELLIS_TOKEN || undefined,
};

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'cli';
  }
}

/** The environment for a child process: ours, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
