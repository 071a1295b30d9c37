import { CliError } from '../errors.ts';

/**
 * `trellis token ...` covers both kinds of token, each in its own module under tokens/: API tokens for
 * people's scripts (role and namespaces) and join tokens that let proxies into the mesh (service and
 * namespace). `create` goes to the kind its flags name (--role or --service), `revoke` to the kind whose
 * IDs look like the one given, `list` lists both.
 */
interface TokenKind {
  summary: string;
  /** Whether `create` with these arguments, or `revoke` of this ID, is this kind's. */
  creates(argv: string[]): boolean;
  owns(id: string | undefined): boolean;
  load(): Promise<{ run(action: string, argv: string[]): Promise<number> }>;
}

const JOIN_ID = /^[0-9a-f]{12}$/;

/** The first argument that is not a flag or a flag's value (`revoke --server URL ID` names ID). */
function firstPositional(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-')) return a;
    if (!a.includes('=')) i++;
  }
  return undefined;
}

const KINDS: TokenKind[] = [
  {
    summary: 'API tokens for scripts and CI: create --role viewer|editor|admin [--namespace NS]... [--ttl 30d] [--name NAME]',
    creates: (argv) => argv.some((a) => a === '--role' || a.startsWith('--role=')),
    owns: (id) => !!id && !JOIN_ID.test(id),
    load: () => import('./tokens/api-tokens.ts'),
  },
  {
    summary: 'join tokens for proxies: create --service NAME [--namespace default] [--ttl 24h]',
    creates: (argv) => argv.some((a) => a === '--service' || a.startsWith('--service=')),
    owns: (id) => !!id && JOIN_ID.test(id),
    load: () => import('./tokens/join-tokens.ts'),
  },
];

const USAGE = `trellis token create|list|revoke ... [--server URL]
${KINDS.map((k) => `  ${k.summary}`).join('\n')}
  list       both kinds (never the tokens themselves: only their hashes are kept)
  revoke ID  the token with that ID, of either kind (its next use fails)`;

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === '-h') {
    process.stdout.write(`usage: ${USAGE}\n`);
    return action ? 0 : 2;
  }
  if (action === 'list') {
    let code = 0;
    for (const [i, kind] of KINDS.entries()) {
      if (i > 0) process.stdout.write('\n');
      code = Math.max(code, await (await kind.load()).run('list', rest));
    }
    return code;
  }
  const kind =
    action === 'create' ? KINDS.find((k) => k.creates(rest)) : action === 'revoke' ? KINDS.find((k) => k.owns(firstPositional(rest))) : undefined;
  if (!kind) {
    const why = action === 'create' ? 'say which kind: --role ROLE (an API token) or --service NAME (a join token)' : action === 'revoke' ? 'which token? its ID, from `trellis token list`' : `unknown action "${action}"`;
    throw new CliError(`trellis token ${action}: ${why}\nusage: ${USAGE}`, 2);
  }
  return (await kind.load()).run(action, rest);
}
