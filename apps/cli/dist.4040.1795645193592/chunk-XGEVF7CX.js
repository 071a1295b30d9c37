import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  cliEnv
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/client.ts
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
var DEFAULT_SERVER = "http://127.0.0.1:7400";
function controlPlaneClient(server) {
  const url = (server ?? cliEnv.server ?? DEFAULT_SERVER).replace(/\/$/, "");
  const client = createTRPCClient({
    links: [httpLink({ url: `${url}/trpc`, headers: { "x-trellis-user": cliEnv.user } })]
  });
  return { client, url };
}
function fieldErrorsOf(err) {
  if (err instanceof TRPCClientError) return err.data?.fieldErrors;
  return void 0;
}
function explain(err, server) {
  if (err instanceof TRPCClientError) {
    const code = err.data?.code;
    if (!code) {
      return new CliError(`cannot reach the control plane at ${server} (${err.message}); start one with \`trellis control-plane\` or pass --server`);
    }
    return new CliError(`${code === "CONFLICT" ? "conflict: " : ""}${err.message}`, code === "NOT_FOUND" ? 1 : 1);
  }
  return new CliError(err.message);
}

export {
  controlPlaneClient,
  fieldErrorsOf,
  explain
};
//# sourceMappingURL=chunk-XGEVF7CX.js.map
