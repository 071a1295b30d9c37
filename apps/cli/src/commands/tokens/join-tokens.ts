import { parseCommandArgs } from '../../args.ts';
import { controlPlaneClient, explain } from '../../client.ts';
import { CliError } from '../../errors.ts';
import { table } from '../../output.ts';

const USAGE = `trellis token create --service NAME [--namespace default] [--ttl 24h] [--server URL]
       trellis token list [--server URL]
       trellis token revoke ID [--server URL]`;

export const JOIN_TOKEN_HELP = `${USAGE}

Join tokens let proxies outside Kubernetes into the mesh as one service. A proxy sends its token once,
with a request for a certificate; the control plane answers with a certificate for exactly that
service's identity (spiffe://<trust domain>/ns/<namespace>/sa/<service>), and the proxy proves itself
with that certificate from then on. The token also pins the control plane's root certificate, so a proxy
given it cannot be pointed at another control plane.

  create   prints the token once, on stdout (the rest goes to stderr): trellis token create --service payments > payments.token
  list     every token: id, service, state, expiry, uses (never the token itself; only its hash is kept)
  revoke   no proxy joins with it again, and proxies whose certificates descend from it are disconnected`;

/** A join token's ID (its public half), as `trellis token list` shows it. */
export const isJoinTokenId = (id: string | undefined) => !!id && /^[0-9a-f]{12}$/.test(id);

/** Join tokens: create (printed once), list, revoke. */
export async function run(action: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(`token ${action}`, argv, {
    service: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    ttl: { type: 'string' },
    server: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE); // prettier-ignore
  const [id] = positionals;
  if (values.help) {
    process.stdout.write(`usage: ${JOIN_TOKEN_HELP}\n`);
    return 0;
  }
  const { client, url } = controlPlaneClient(values.server);
  try {
    switch (action) {
      case 'create': {
        if (!values.service) throw new CliError(`trellis token create: --service is required (the service the proxy will run as)\nusage: ${USAGE}`, 2);
        const { token, info } = await client.identity.joinTokens.create.mutate({
          service: values.service,
          namespace: values.namespace ?? 'default',
          ...(values.ttl !== undefined ? { ttl: values.ttl } : {}),
        });
        process.stderr.write(`join token ${info.id} for ${info.service}.${info.namespace}, valid until ${info.expiresAt}; shown once:\n`);
        process.stdout.write(`${token}\n`);
        process.stderr.write(`start the proxy with it: trellis proxy --service ${info.service} --token-file FILE (or TRELLIS_TOKEN)\n`);
        return 0;
      }
      case 'list': {
        const tokens = await client.identity.joinTokens.list.query();
        process.stdout.write('JOIN TOKENS (proxies)\n');
        if (tokens.length === 0) process.stdout.write('no join tokens; create one with `trellis token create --service NAME`\n');
        else {
          process.stdout.write(
            table(
              ['ID', 'SERVICE', 'STATE', 'EXPIRES', 'USES', 'LAST USED', 'CREATED BY'],
              tokens.map((t) => [t.id, `${t.service}.${t.namespace}`, t.state, t.expiresAt, String(t.uses), t.lastUsedAt ?? '-', t.createdBy]),
            ),
          );
        }
        return 0;
      }
      case 'revoke': {
        if (!id) throw new CliError(`trellis token revoke: which token? (its ID, from \`trellis token list\`)\nusage: ${USAGE}`, 2);
        const revoked = await client.identity.joinTokens.revoke.mutate({ id });
        process.stdout.write(`join token ${revoked.id} revoked; ${revoked.disconnected} proxy connection(s) closed\n`);
        return 0;
      }
      default:
        throw new CliError(`trellis token: unknown action "${action}"\nusage: ${USAGE}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw explain(err, url);
  }
}
