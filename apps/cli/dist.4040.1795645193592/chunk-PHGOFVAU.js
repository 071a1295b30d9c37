import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/args.ts
import { parseArgs } from "node:util";
function parseCommandArgs(command, argv, options, usage) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(`trellis ${command}: ${err.message}
usage: ${usage}`, 2);
  }
}
function parsePort(value, flag, fallback) {
  if (value === void 0 || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${flag}: "${value}" is not a port number (0-65535)`, 2);
  return port;
}

// apps/cli/src/env.ts
import os from "node:os";
var cliEnv = {
  server: process.env.TRELLIS_SERVER,
  user: process.env.TRELLIS_USER ?? safeUsername(),
  port: process.env.PORT,
  databaseUrl: process.env.DATABASE_URL || void 0,
  dataDir: process.env.TRELLIS_DATA_DIR,
  redisUrl: process.env.TRELLIS_REDIS_URL
};
function safeUsername() {
  try {
    return os.userInfo().username;
  } catch {
    return "cli";
  }
}

export {
  parseCommandArgs,
  parsePort,
  cliEnv
};
//# sourceMappingURL=chunk-PHGOFVAU.js.map
