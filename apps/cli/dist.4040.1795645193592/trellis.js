import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/main.ts
var COMMANDS = {
  up: { summary: "run everything: control plane, dashboard and a demo mesh with traffic (npm start)", load: () => import("./up-N32YSXBP.js") },
  "control-plane": { summary: "run the control plane (API, policy store, proxy stream)", load: () => import("./control-plane-KAHEL4QO.js") },
  proxy: { summary: "run a proxy (sidecar or node agent)", load: () => import("./proxy-FIGAFH35.js") },
  apply: { summary: "create or update resources from YAML (-f FILE, or -f - for stdin)", load: () => import("./apply-2Y3O7ZFF.js") },
  get: { summary: "list resources of a kind, or show one (get KIND [NAME])", load: () => import("./get-TELQ24CK.js") },
  delete: { summary: "delete a resource (delete KIND NAME)", load: () => import("./delete-CSGR6V7V.js") },
  history: { summary: "list the revisions of a resource (history KIND NAME)", load: () => import("./history-4RJMPXNI.js") },
  rollback: { summary: "restore an earlier revision (rollback KIND NAME --to REVISION)", load: () => import("./rollback-QQ6P2YGG.js") }
};
function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: trellis <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Commands that talk to a control plane take --server URL (or TRELLIS_SERVER; default http://127.0.0.1:7400)."
  ].join("\n");
}
async function main(argv) {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}
`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trellis: unknown command "${name}"

${usage()}
`);
    return 2;
  }
  const code = await (await command.load()).run(rest);
  return code ?? 0;
}
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof CliError) {
      process.stderr.write(`${err.message}
`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`trellis: ${err.stack ?? String(err)}
`);
      process.exitCode = 1;
    }
  }
);
//# sourceMappingURL=trellis.js.map
