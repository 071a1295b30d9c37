import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain, type ApiClient } from '../client.ts';
import { CliError } from '../errors.ts';
import { table } from '../output.ts';

const ROLES = ['viewer', 'editor', 'admin'] as const;
type Role = (typeof ROLES)[number];
const USAGE = [
  'trellis users list',
  'trellis users create NAME --role ROLE [--namespace NS]...   (prints a one-time sign-in link to hand them)',
  'trellis users link NAME                                      (a new one-time sign-in link)',
  'trellis users set-role NAME ROLE [--namespace NS]...',
  'trellis users sign-out NAME                                  (ends their sessions and login tokens)',
  'trellis users remove NAME',
].join('\n       ');

function role(value: string | undefined): Role {
  if (!value || !(ROLES as readonly string[]).includes(value)) throw new CliError(`role must be one of ${ROLES.join(', ')}\nusage: ${USAGE}`, 2);
  return value as Role;
}

async function idOf(client: ApiClient, username: string): Promise<string> {
  const user = (await client.users.list.query()).find((u) => u.username === username.toLowerCase());
  if (!user) throw new CliError(`no user named "${username}"; \`trellis users list\` shows who there is`);
  return user.id;
}

/** People, for admins: list, create (invite), new sign-in link, change role, sign out everywhere, remove. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('users', argv, { role: { type: 'string' }, namespace: { type: 'string', multiple: true }, server: { type: 'string' } }, USAGE);
  const [sub, name, roleArg] = positionals;
  const { client, url } = controlPlaneClient(values.server);
  const needName = () => {
    if (!name) throw new CliError(`usage: ${USAGE}`, 2);
    return name;
  };
  try {
    switch (sub) {
      case 'list': {
        const users = await client.users.list.query();
        const day = (d: string | Date | null) => (d ? new Date(d).toISOString().slice(0, 16).replace('T', ' ') : '-');
        process.stdout.write(
          table(
            ['NAME', 'ROLE', 'NAMESPACES', 'SIGNS IN WITH', 'SESSIONS', 'LAST SIGN-IN'],
            users.map((u) => [u.username, u.role, u.namespaces.join(',') || '-', [u.hasPassword ? 'password' : '', u.sso ? 'SSO' : ''].filter(Boolean).join(', ') || 'link only', String(u.sessions), day(u.lastSignInAt)]),
          ),
        );
        return 0;
      }
      case 'create': {
        const created = await client.users.create.mutate({ username: needName(), role: role(values.role), namespaces: values.namespace ?? [] });
        process.stdout.write(`created ${created.username} (${created.role}). Send them this one-time sign-in link (valid 15 minutes); they set a password after:\n${created.link?.url ?? ''}\n`);
        return 0;
      }
      case 'link': {
        const link = await client.users.signInLink.mutate({ username: needName() });
        process.stdout.write(`${link.url}\n`);
        process.stderr.write(`one-time sign-in link for ${link.username}, valid until ${new Date(link.expiresAt).toISOString().slice(11, 16)} UTC\n`);
        return 0;
      }
      case 'set-role': {
        const updated = await client.users.update.mutate({ id: await idOf(client, needName()), role: role(roleArg ?? values.role), namespaces: values.namespace ?? [] });
        process.stdout.write(`${updated.username} is now ${updated.role}${updated.namespaces.length ? ` in ${updated.namespaces.join(', ')}` : ''}\n`);
        return 0;
      }
      case 'sign-out': {
        const ended = await client.users.revokeSessions.mutate({ id: await idOf(client, needName()) });
        process.stdout.write(`ended ${ended.sessions} session(s) and ${ended.tokens} login token(s) of ${needName()}\n`);
        return 0;
      }
      case 'remove': {
        const removed = await client.users.remove.mutate({ id: await idOf(client, needName()) });
        process.stdout.write(`removed ${removed.username}\n`);
        return 0;
      }
      default:
        throw new CliError(`usage: ${USAGE}`, 2);
    }
  } catch (err) {
    throw err instanceof CliError ? err : explain(err, url);
  }
}
