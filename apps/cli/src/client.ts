import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import type { FieldError } from '@trellis/shared';
import { tokenFor } from './credentials.ts';
import { cliEnv } from './env.ts';
import { CliError } from './errors.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:7400';

/** The control plane named by --server, TRELLIS_SERVER, or the default (no trailing slash). */
export function serverUrl(server: string | undefined): string {
  return (server ?? cliEnv.server ?? DEFAULT_SERVER).replace(/\/+$/, '');
}

/** A tRPC client for the control plane, sending TRELLIS_TOKEN or the token `trellis login` saved for it. */
export function controlPlaneClient(server: string | undefined) {
  const url = serverUrl(server);
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/trpc`,
        headers: async (): Promise<Record<string, string>> => {
          const token = await tokenFor(url);
          return token ? { authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });
  return { client, url };
}

export type ApiClient = ReturnType<typeof controlPlaneClient>['client'];

/** Field errors the server attached to a refused write, if any. */
export function fieldErrorsOf(err: unknown): FieldError[] | undefined {
  if (err instanceof TRPCClientError) return (err.data as { fieldErrors?: FieldError[] } | undefined)?.fieldErrors;
  return undefined;
}

/** Rewrites a failed call as a message for the terminal: unreachable server, not signed in, refused, conflict. */
export function explain(err: unknown, server: string): CliError {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code;
    if (!code) {
      return new CliError(`cannot reach the control plane at ${server} (${err.message}); start one with \`trellis control-plane\` or pass --server`);
    }
    if (code === 'UNAUTHORIZED') {
      const how = cliEnv.token ? 'TRELLIS_TOKEN was refused' : `run \`trellis login --server ${server}\` (or set TRELLIS_TOKEN)`;
      return new CliError(`${err.message}\n${how}`);
    }
    return new CliError(`${code === 'CONFLICT' ? 'conflict: ' : code === 'FORBIDDEN' ? 'refused: ' : ''}${err.message}`);
  }
  return new CliError((err as Error).message);
}

/** A call to one of the control plane's /auth routes (sign-in, sign-out, SSO), JSON both ways. */
export async function authRoute<T>(server: string, route: string, body: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${server}${route}`, {
      method: 'POST',
      // The custom header is what lets a non-browser client through the sign-in routes' cross-site check.
      headers: { 'content-type': 'application/json', 'x-trellis-csrf': 'cli', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach the control plane at ${server} (${(err as Error).message}); pass --server or set TRELLIS_SERVER`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: { error?: { message?: string } } & Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // Not JSON: said below.
  }
  if (!res.ok) throw new CliError(json.error?.message ?? `${route}: ${res.status} ${text.slice(0, 200)}`);
  return json as T;
}
