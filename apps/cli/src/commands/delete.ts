import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain } from '../client.ts';
import { CliError } from '../errors.ts';

const USAGE = 'trellis delete KIND NAME [-n NAMESPACE] [--server URL]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('delete', argv, {
    namespace: { type: 'string', short: 'n' },
    note: { type: 'string' },
    server: { type: 'string' },
  }, USAGE);
  const [kind, name] = positionals;
  if (!kind || !name) throw new CliError(`usage: ${USAGE}`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const deleted = await client.resources.delete.mutate({ kind, name, namespace: values.namespace ?? 'default', note: values.note });
    process.stdout.write(`${deleted.kind.toLowerCase()}/${deleted.metadata.name} deleted\n`);
    return 0;
  } catch (err) {
    throw explain(err, url);
  }
}
