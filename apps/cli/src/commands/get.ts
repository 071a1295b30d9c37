import { describeTarget, resolveKind, RESOURCE_KINDS } from '@trellis/shared';
import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain } from '../client.ts';
import { CliError } from '../errors.ts';
import { age, table, toYaml } from '../output.ts';

// `get services` lists every service the mesh knows; with -o it prints the Service resources (those declared).
const USAGE = 'trellis get KIND [NAME] [-n NAMESPACE | -A] [-o yaml|json] [--server URL]';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('get', argv, {
    namespace: { type: 'string', short: 'n' },
    'all-namespaces': { type: 'boolean', short: 'A' },
    output: { type: 'string', short: 'o' },
    server: { type: 'string' },
  }, USAGE);
  const [kindText, name] = positionals;
  if (!kindText) throw new CliError(`usage: ${USAGE}\nkinds: ${RESOURCE_KINDS.join(', ')}`, 2);
  const kind = resolveKind(kindText);
  if (!kind) throw new CliError(`trellis get: unknown kind "${kindText}"; kinds: ${RESOURCE_KINDS.join(', ')}`, 2);
  const output = values.output;
  if (output && output !== 'yaml' && output !== 'json') throw new CliError('-o: must be yaml or json', 2);
  const namespace = values.namespace ?? 'default';
  const { client, url } = controlPlaneClient(values.server);
  try {
    if (name) {
      const resource = await client.resources.get.query({ kind, name, namespace });
      process.stdout.write(output === 'json' ? `${JSON.stringify(resource, null, 2)}\n` : toYaml(resource));
      return 0;
    }
    if (kind === 'Service' && !output) {
      // Services are more than Service resources: every one the mesh knows (declared, with endpoints or
      // targeted by a policy), as the dashboard's graph shows them.
      const services = (await client.services.list.query()).filter((svc) => values['all-namespaces'] || svc.namespace === namespace);
      if (services.length === 0) process.stdout.write(`no services known in ${values['all-namespaces'] ? 'any namespace' : `namespace ${namespace}`}\n`);
      else {
        process.stdout.write(
          table(
            ['NAMESPACE', 'NAME', 'DECLARED', 'ENDPOINTS', 'PROXIES', 'VERSIONS', 'MTLS'],
            services.map((svc) => [
              svc.namespace,
              svc.name,
              svc.declared ? 'yes' : 'no',
              String(svc.endpoints.length),
              `${svc.proxies.inSync}/${svc.proxies.total} in sync`,
              svc.versions.join(',') || '-',
              svc.security.mtlsMode,
            ]),
          ),
        );
      }
      return 0;
    }
    const list = await client.resources.list.query({ kind, ...(values['all-namespaces'] ? {} : { namespace }) });
    if (output === 'json') process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else if (output === 'yaml') process.stdout.write(list.map((r) => toYaml(r)).join('---\n'));
    else if (list.length === 0) process.stdout.write(`no ${kind} resources in ${values['all-namespaces'] ? 'any namespace' : `namespace ${namespace}`}\n`);
    else {
      process.stdout.write(
        table(
          ['NAMESPACE', 'NAME', 'TARGET', 'REVISION', 'AGE'],
          list.map((r) => [
            r.metadata.namespace,
            r.metadata.name,
            'targetRef' in r.spec ? describeTarget(r.spec.targetRef) : '-',
            r.metadata.resourceVersion ?? '',
            r.metadata.creationTimestamp ? age(r.metadata.creationTimestamp) : '',
          ]),
        ),
      );
    }
    return 0;
  } catch (err) {
    throw explain(err, url);
  }
}
