import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain } from '../client.ts';

const USAGE = 'trellis whoami [--server URL]';

/** Who the API says the caller is. */
export interface Caller {
  kind: 'user' | 'token' | 'bootstrap';
  name: string;
  role: string;
  namespaces: string[];
  permissions?: string[];
}

/** "alice (editor in shop, payments)", "token:ci (viewer)". */
export function describeCaller(c: Caller): string {
  const who = c.kind === 'user' ? c.name : `token:${c.name}`;
  return `${who} (${c.role}${c.namespaces.length ? ` in ${c.namespaces.join(', ')}` : ''})`;
}

/** Prints who the control plane takes this terminal for, and what that may do. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('whoami', argv, { server: { type: 'string' } }, USAGE);
  const { client, url } = controlPlaneClient(values.server);
  let me;
  try {
    me = await client.auth.me.query();
  } catch (err) {
    throw explain(err, url);
  }
  process.stdout.write(`${describeCaller(me)} at ${url}\nmay: ${me.permissions.join(', ')}\n`);
  return 0;
}
