import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
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

// apps/cli/src/commands/rollback.ts
var USAGE = "trellis rollback KIND NAME --to REVISION [-n NAMESPACE] [--note TEXT] [--server URL]";
async function run(argv) {
  const { values, positionals } = parseCommandArgs("rollback", argv, {
    namespace: { type: "string", short: "n" },
    to: { type: "string" },
    note: { type: "string" },
    server: { type: "string" }
  }, USAGE);
  const [kind, name] = positionals;
  const to = Number(values.to);
  if (!kind || !name || !values.to) throw new CliError(`usage: ${USAGE}`, 2);
  if (!Number.isInteger(to) || to < 1) throw new CliError(`--to: "${values.to}" is not a revision number`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const result = await client.resources.rollback.mutate({ kind, name, namespace: values.namespace ?? "default", to, note: values.note });
    process.stdout.write(
      result.outcome === "unchanged" ? `${kind.toLowerCase()}/${name} already matches revision ${to}
` : `${kind.toLowerCase()}/${name} rolled back to revision ${to} (now revision ${result.resource.metadata.resourceVersion})
`
    );
    return 0;
  } catch (err) {
    throw explain(err, url);
  }
}
export {
  run
};
//# sourceMappingURL=rollback-QQ6P2YGG.js.map
