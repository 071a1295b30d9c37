import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  table
} from "./chunk-E5XWJHXP.js";
import {
  controlPlaneClient,
  explain
} from "./chunk-XGEVF7CX.js";
import {
  parseCommandArgs
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/commands/history.ts
var USAGE = "trellis history KIND NAME [-n NAMESPACE] [--server URL]";
async function run(argv) {
  const { values, positionals } = parseCommandArgs("history", argv, {
    namespace: { type: "string", short: "n" },
    server: { type: "string" }
  }, USAGE);
  const [kind, name] = positionals;
  if (!kind || !name) throw new CliError(`usage: ${USAGE}`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const revisions = await client.resources.history.query({ kind, name, namespace: values.namespace ?? "default" });
    if (revisions.length === 0) throw new CliError(`${kind} ${name} has no history`);
    process.stdout.write(
      table(
        ["REVISION", "ACTION", "AUTHOR", "TIME", "NOTE"],
        revisions.map((r) => [String(r.revision), r.action, r.author, r.createdAt, r.note ?? ""])
      )
    );
    return 0;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw explain(err, url);
  }
}
export {
  run
};
//# sourceMappingURL=history-4RJMPXNI.js.map
