import { parseCommandArgs } from '../args.ts';
import { authRoute, serverUrl } from '../client.ts';
import { forgetLogin, savedLogin } from '../credentials.ts';

const USAGE = 'trellis logout [--server URL]';

/** Revokes the token `trellis login` stored for the server and forgets it. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('logout', argv, { server: { type: 'string' } }, USAGE);
  const server = serverUrl(values.server);
  const saved = await savedLogin(server);
  if (!saved) {
    process.stderr.write(`not signed in to ${server}\n`);
    return 0;
  }
  let revoked = true;
  try {
    await authRoute(server, '/auth/sign-out', {}, saved.token);
  } catch (err) {
    revoked = false;
    process.stderr.write(`could not revoke the token on ${server} (${(err as Error).message}); it is forgotten here, and expires by itself\n`);
  }
  await forgetLogin(server);
  process.stderr.write(`signed out of ${server}${revoked ? ' (token revoked)' : ''}\n`);
  return 0;
}
