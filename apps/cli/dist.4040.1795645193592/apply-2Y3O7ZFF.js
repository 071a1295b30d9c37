import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  parseResource
} from "./chunk-YSHB62M6.js";
import {
  controlPlaneClient,
  explain,
  fieldErrorsOf
} from "./chunk-XGEVF7CX.js";
import {
  parseCommandArgs
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/manifest.ts
import { readFile } from "node:fs/promises";
import { LineCounter, parseAllDocuments } from "yaml";
async function readManifest(file) {
  if (file !== "-") return readFile(file, "utf8");
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
function parseManifest(text) {
  const resources = [];
  const problems = [];
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { prettyErrors: false, lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  let index = 0;
  for (const doc of list) {
    index++;
    if (doc.errors.length) {
      for (const e of doc.errors) {
        problems.push({ document: index, line: lines.linePos(e.pos[0]).line, path: "", message: `YAML: ${e.message.split("\n")[0]}` });
      }
      continue;
    }
    const value = doc.toJS();
    if (value === null || value === void 0) {
      index--;
      continue;
    }
    const parsed = parseResource(value);
    if (parsed.ok) resources.push(parsed.resource);
    else for (const e of parsed.errors) problems.push({ document: index, path: e.path, message: e.message });
  }
  if (index === 0 && problems.length === 0) problems.push({ document: 0, path: "", message: "no resources in the file" });
  return { resources, problems };
}
function formatProblem(file, p) {
  const where = `${file === "-" ? "<stdin>" : file}: document ${p.document}${p.line ? ` (line ${p.line})` : ""}`;
  return `${where}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
}

// apps/cli/src/commands/apply.ts
var USAGE = "trellis apply -f FILE|- [--note TEXT] [--dry-run] [--server URL]";
async function run(argv) {
  const { values } = parseCommandArgs("apply", argv, {
    filename: { type: "string", short: "f" },
    note: { type: "string" },
    "dry-run": { type: "boolean" },
    server: { type: "string" }
  }, USAGE);
  const file = values.filename;
  if (!file) throw new CliError(`trellis apply: -f FILE is required (use -f - for stdin)
usage: ${USAGE}`, 2);
  let text;
  try {
    text = await readManifest(file);
  } catch (err) {
    throw new CliError(`trellis apply: cannot read ${file}: ${err.message}`);
  }
  const { resources, problems } = parseManifest(text);
  if (problems.length) {
    throw new CliError(`${problems.map((p) => formatProblem(file, p)).join("\n")}
nothing was applied`);
  }
  const { client, url } = controlPlaneClient(values.server);
  let index = 0;
  for (const resource of resources) {
    index++;
    const label = `${resource.kind.toLowerCase()}/${resource.metadata.name}`;
    try {
      const result = await client.resources.upsert.mutate({ resource, note: values.note, dryRun: values["dry-run"] ?? false });
      const rv = result.resource.metadata.resourceVersion;
      process.stdout.write(`${label} ${result.outcome}${values["dry-run"] ? " (dry run)" : rv ? ` (revision ${rv})` : ""}
`);
    } catch (err) {
      const fieldErrors = fieldErrorsOf(err);
      if (fieldErrors?.length) {
        throw new CliError(fieldErrors.map((e) => formatProblem(file, { document: index, path: e.path, message: e.message })).join("\n"));
      }
      throw explain(err, url);
    }
  }
  return 0;
}
export {
  run
};
//# sourceMappingURL=apply-2Y3O7ZFF.js.map
