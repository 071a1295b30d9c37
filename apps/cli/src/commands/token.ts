import { CliError } from '../errors.ts';

/**
 * `trellis token ...` covers every kind of token, each in its own module under tokens/: API tokens for
 * people's scripts (role and namespaces) here, join tokens for proxies (service and namespace) beside it.
 * A kind says which invocations are its own (`create --service payments` is a join token); the first
 * kind that claims the arguments runs them.
 */
interface TokenKind {
  name: string;
  summary: string;
  claims(subcommand: string, argv: string[]): boolean;
  load(): Promise<{ run(subcommand: string, argv: string[]): Promise<number> }>;
}

const KINDS: TokenKind[] = [
  {
    name: 'api',
    summary: 'API tokens for scripts and CI: create --role ROLE [--namespace NS]... [--ttl 30d] [--name NAME] | list | revoke ID',
    claims: () => true,
    load: () => import('./tokens/api-tokens.ts'),
  },
];

const USAGE = `trellis token create|list|revoke ...\n${KINDS.map((k) => `  ${k.summary}`).join('\n')}`;

export async function run(argv: string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (!subcommand || subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(`usage: ${USAGE}\n`);
    return subcommand ? 0 : 2;
  }
  const kind = KINDS.find((k) => k.claims(subcommand, rest));
  if (!kind) throw new CliError(`trellis token ${subcommand}: not a token command\nusage: ${USAGE}`, 2);
  return (await kind.load()).run(subcommand, rest);
}
