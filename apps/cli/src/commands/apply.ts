import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain, fieldErrorsOf } from '../client.ts';
import { CliError } from '../errors.ts';
import { formatProblem, parseManifest, readManifest } from '../manifest.ts';

/** As the control plane's resources.upsertMany allows. */
const MAX_DOCUMENTS = 1000;

const USAGE = 'trellis apply -f FILE|- [--note TEXT] [--dry-run] [--server URL]';

/** Validates every document first and applies nothing unless all are valid. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('apply', argv, {
    filename: { type: 'string', short: 'f' },
    note: { type: 'string' },
    'dry-run': { type: 'boolean' },
    server: { type: 'string' },
  }, USAGE);
  const file = values.filename;
  if (!file) throw new CliError(`trellis apply: -f FILE is required (use -f - for stdin)\nusage: ${USAGE}`, 2);
  let text: string;
  try {
    text = await readManifest(file);
  } catch (err) {
    throw new CliError(`trellis apply: cannot read ${file}: ${(err as Error).message}`);
  }
  const { resources, problems } = parseManifest(text);
  if (problems.length) {
    throw new CliError(`${problems.map((p) => formatProblem(file, p)).join('\n')}\nnothing was applied`);
  }
  if (resources.length > MAX_DOCUMENTS) {
    throw new CliError(`${file}: ${resources.length} documents; one apply takes at most ${MAX_DOCUMENTS} (they are written in one transaction): split the file\nnothing was applied`);
  }
  const { client, url } = controlPlaneClient(values.server);
  const dryRun = values['dry-run'] ?? false;
  let results;
  try {
    // One call, one transaction: every document is applied, or none (a conflict on the third one
    // leaves the first two untouched too).
    results = await client.resources.upsertMany.mutate({ resources, note: values.note, dryRun });
  } catch (err) {
    const fieldErrors = fieldErrorsOf(err);
    if (fieldErrors?.length) {
      const problems = fieldErrors.map((e) => {
        const m = /^documents\[(\d+)\]\.?(.*)$/.exec(e.path);
        return m ? { document: Number(m[1]) + 1, path: m[2] ?? '', message: e.message } : { document: 1, path: e.path, message: e.message };
      });
      throw new CliError(`${problems.map((p) => formatProblem(file, p)).join('\n')}\nnothing was applied`);
    }
    const explained = explain(err, url);
    throw resources.length > 1 ? new CliError(`${explained.message}\nnothing was applied`, explained.exitCode) : explained;
  }
  for (const result of results) {
    const label = `${result.resource.kind.toLowerCase()}/${result.resource.metadata.name}`;
    const rv = result.resource.metadata.resourceVersion;
    process.stdout.write(`${label} ${result.outcome}${dryRun ? ' (dry run)' : rv ? ` (revision ${rv})` : ''}\n`);
    for (const warning of result.warnings) process.stderr.write(`warning: ${label}: ${warning}\n`);
  }
  return 0;
}
