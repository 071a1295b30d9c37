import { lifetimeFlag, parseCommandArgs } from '../../args.ts';
import { controlPlaneClient, explain } from '../../client.ts';
import { CliError } from '../../errors.ts';
import { table } from '../../output.ts';

const ROLES = ['viewer', 'editor', 'admin'] as const;
const USAGE = {
  create: 'trellis token create --role viewer|editor|admin [--namespace NS]... [--ttl 30d] [--name NAME] [--server URL]',
  list: 'trellis token list [--server URL]',
  revoke: 'trellis token revoke ID [--server URL]',
} as const;

/** API tokens: create (printed once), list, revoke. Admins only (the API says so otherwise). */
export async function run(subcommand: string, argv: string[]): Promise<number> {
  if (subcommand === 'create') return create(argv);
  if (subcommand === 'list') return list(argv);
  if (subcommand === 'revoke') return revoke(argv);
  throw new CliError(`trellis token ${subcommand}: unknown; use create, list or revoke\nusage: ${Object.values(USAGE).join('\n       ')}`, 2);
}

async function create(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('token create', argv, {
    role: { type: 'string' },
    namespace: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    name: { type: 'string' },
    server: { type: 'string' },
  }, USAGE.create);
  const role = values.role;
  if (!role || !(ROLES as readonly string[]).includes(role)) throw new CliError(`trellis token create: --role must be one of ${ROLES.join(', ')}\nusage: ${USAGE.create}`, 2);
  const ttlMs = values.ttl === undefined ? undefined : lifetimeFlag(values.ttl, '--ttl');
  const name = values.name ?? `token ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
  const { client, url } = controlPlaneClient(values.server);
  let created;
  try {
    created = await client.tokens.create.mutate({
      name,
      role: role as (typeof ROLES)[number],
      namespaces: values.namespace ?? [],
      ...(ttlMs ? { ttlSeconds: Math.round(ttlMs / 1000) } : {}),
    });
  } catch (err) {
    throw explain(err, url);
  }
  // The token alone on stdout, so `TOKEN=$(trellis token create ...)` works; the rest is for the person.
  process.stdout.write(`${created.token}\n`);
  const scope = created.namespaces.length ? ` in ${created.namespaces.join(', ')}` : '';
  const expiry = created.expiresAt ? `expires ${new Date(created.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'does not expire';
  process.stderr.write(`created API token "${created.name}" (${created.role}${scope}; ${expiry}; id ${created.id}).\nIt is shown only this once: store it now. Use it as TRELLIS_TOKEN or Authorization: Bearer.\n`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('token list', argv, { server: { type: 'string' } }, USAGE.list);
  const { client, url } = controlPlaneClient(values.server);
  let tokens;
  try {
    tokens = await client.tokens.list.query();
  } catch (err) {
    throw explain(err, url);
  }
  const day = (d: string | Date | null) => (d ? new Date(d).toISOString().slice(0, 10) : '-');
  process.stdout.write('API TOKENS (people and scripts)\n');
  if (tokens.length === 0) {
    process.stdout.write('no API tokens; create one with `trellis token create --role ROLE`\n');
    return 0;
  }
  process.stdout.write(
    table(
      ['ID', 'NAME', 'ROLE', 'NAMESPACES', 'EXPIRES', 'LAST USED', 'CREATED BY'],
      tokens.map((t) => [t.id, t.name, t.user ? `as ${t.user}` : (t.role ?? ''), t.namespaces.join(',') || '-', day(t.expiresAt), day(t.lastUsedAt), t.createdBy]),
    ),
  );
  return 0;
}

async function revoke(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('token revoke', argv, { server: { type: 'string' } }, USAGE.revoke);
  const [id] = positionals;
  if (!id) throw new CliError(`usage: ${USAGE.revoke}`, 2);
  const { client, url } = controlPlaneClient(values.server);
  try {
    const revoked = await client.tokens.revoke.mutate({ id });
    process.stdout.write(`revoked API token "${revoked.name}"; its next call fails\n`);
  } catch (err) {
    throw explain(err, url);
  }
  return 0;
}
