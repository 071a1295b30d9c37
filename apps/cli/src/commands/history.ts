import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain } from '../client.ts';
import { CliError } from '../errors.ts';
import { table } from '../output.ts';

const USAGE = 'trellis history KIND NAME [-n NAMESPACE] [--server URL]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('history', argv, {
    namespace: { type: 'string', short: 'n' },
    server: { type: 'string' },
  }, USAGE);
  const [kind, name] = positionals;
  if (!kind || !name) throw new CliError(`usage: ${USAGE}`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const revisions = await client.resources.history.query({ kind, name, namespace: values.namespace ?? 'default' });
    if (revisions.length === 0) throw new CliError(`${kind} ${name} has no history`);
    process.stdout.write(
      table(
        ['REVISION', 'ACTION', 'AUTHOR', 'TIME', 'NOTE'],
        revisions.map((r) => [String(r.revision), r.action, r.author, r.createdAt, r.note ?? '']),
      ),
    );
    return 0;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw explain(err, url);
  }
}
