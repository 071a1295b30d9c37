import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseCommandArgs } from '../args.ts';
import { authRoute, serverUrl } from '../client.ts';
import { credentialsFile, saveLogin } from '../credentials.ts';
import { CliError } from '../errors.ts';
import { ask, askHidden, readStdin } from '../prompt.ts';
import { describeCaller, type Caller } from './whoami.ts';

const USAGE = 'trellis login [--server URL] [--username NAME] [--password-stdin] | [--sso [--no-browser]]';

interface SignedIn {
  user: Caller;
  token: string;
  expiresAt: string | null;
}

/** How long `trellis login --sso` waits for the browser to come back. */
const SSO_TIMEOUT_MS = 5 * 60_000;

/** Signs in with a password (asked for, or from stdin) or with single sign-on in the browser, and stores the token. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('login', argv, {
    server: { type: 'string' },
    username: { type: 'string', short: 'u' },
    'password-stdin': { type: 'boolean' },
    sso: { type: 'boolean' },
    'no-browser': { type: 'boolean' },
  }, USAGE);
  const server = serverUrl(values.server);
  const name = `trellis CLI on ${os.hostname()}`;
  const result = values.sso ? await signInWithSso(server, name, !values['no-browser']) : await signInWithPassword(server, name, values.username, values['password-stdin'] ?? false);
  await saveLogin(server, { token: result.token, user: result.user.name });
  process.stderr.write(
    `signed in to ${server} as ${describeCaller(result.user)}; the token is kept in ${credentialsFile()}${result.expiresAt ? ` until ${result.expiresAt.slice(0, 10)}` : ''}\n`,
  );
  return 0;
}

async function signInWithPassword(server: string, tokenName: string, username: string | undefined, fromStdin: boolean): Promise<SignedIn> {
  const user = username ?? (fromStdin ? undefined : await ask('username: '));
  if (!user) throw new CliError('--username is needed with --password-stdin', 2);
  const password = fromStdin ? await readStdin() : await askHidden('password: ');
  if (!password) throw new CliError('no password given', 2);
  return authRoute<SignedIn>(server, '/auth/sign-in', { username: user, password, token: { name: tokenName } });
}

/**
 * Single sign-on for a terminal (RFC 8252's loopback redirect): the issuer sends the browser back to a
 * one-off server on 127.0.0.1 with a one-time code, which only this process can exchange (it holds the
 * verifier whose hash started the sign-in).
 */
async function signInWithSso(server: string, tokenName: string, openBrowser: boolean): Promise<SignedIn> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  let resolveCode: (code: string) => void = () => {};
  const code = new Promise<string>((resolve) => (resolveCode = resolve));
  const loopback = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const got = url.searchParams.get('code');
    if (url.pathname !== '/callback' || !got) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Trellis</title><p>Signed in to Trellis. You can close this tab and go back to the terminal.</p>');
    resolveCode(got);
  });
  await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', () => resolve()));
  try {
    const redirect = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/callback`;
    const { url } = await authRoute<{ url: string }>(server, '/auth/oidc/cli', { redirect, challenge });
    process.stderr.write(`Open this address in your browser to sign in (waiting up to 5 minutes):\n  ${url}\n`);
    if (openBrowser) tryToOpen(url);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CliError('no answer from the browser within 5 minutes; run `trellis login --sso` again')), SSO_TIMEOUT_MS);
    });
    const got = await Promise.race([code, timeout]).finally(() => clearTimeout(timer));
    return await authRoute<SignedIn>(server, '/auth/oidc/cli-token', { code: got, verifier, name: tokenName });
  } finally {
    loopback.closeAllConnections();
    loopback.close();
  }
}

/** Opens the system browser if there is one; the address is printed either way. */
function tryToOpen(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No browser here: the printed address is enough.
  }
}
