import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);

// apps/cli/src/errors.ts
var CliError = class extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
  exitCode;
};

export {
  CliError
};
//# sourceMappingURL=chunk-EUPKLWFB.js.map
