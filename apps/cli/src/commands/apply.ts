import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain, fieldErrorsOf } from '../client.ts';
import { CliError } from '../errors.ts';
import { formatProblem, parseManifest, readManifest } from '../manifest.ts';

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
  const { client, url } = controlPlaneClient(values.server);
  let index = 0;
  for (const resource of resources) {
    index++;
    const label = `${resource.kind.toLowerCase()}/${resource.metadata.name}`;
    try {
      const result = await client.resources.upsert.mutate({ resource, note: values.note, dryRun: values['dry-run'] ?? false });
      const rv = result.resource.metadata.resourceVersion;
      process.stdout.write(`${label} ${result.outcome}${values['dry-run'] ? ' (dry run)' : rv ? ` (revision ${rv})` : ''}\n`);
    } catch (err) {
      const fieldErrors = fieldErrorsOf(err);
      if (fieldErrors?.length) {
        throw new CliError(fieldErrors.map((e) => formatProblem(file, { document: index, path: e.path, message: e.message })).join('\n'));
      }
      throw explain(err, url);
    }
  }
  return 0;
}
