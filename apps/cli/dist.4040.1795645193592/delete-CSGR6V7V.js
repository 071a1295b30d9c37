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

// apps/cli/src/commands/delete.ts
var USAGE = "trellis delete KIND NAME [-n NAMESPACE] [--server URL]";
async function run(argv) {
  const { values, positionals } = parseCommandArgs("delete", argv, {
    namespace: { type: "string", short: "n" },
    note: { type: "string" },
    server: { type: "string" }
  }, USAGE);
  const [kind, name] = positionals;
  if (!kind || !name) throw new CliError(`usage: ${USAGE}`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const deleted = await client.resources.delete.mutate({ kind, name, namespace: values.namespace ?? "default", note: values.note });
    process.stdout.write(`${deleted.kind.toLowerCase()}/${deleted.metadata.name} deleted
`);
    return 0;
  } catch (err) {
    throw explain(err, url);
  }
}
export {
  run
};
//# sourceMappingURL=delete-CSGR6V7V.js.map
