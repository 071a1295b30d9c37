import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import type { FieldError } from '@trellis/shared';
import { cliEnv } from './env.ts';
import { CliError } from './errors.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:7400';

/** A tRPC client for the control plane named by --server, TRELLIS_SERVER, or the default. */
export function controlPlaneClient(server: string | undefined) {
  const url = (server ?? cliEnv.server ?? DEFAULT_SERVER).replace(/\/$/, '');
  const client = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: { 'x-trellis-user': cliEnv.user } })],
  });
  return { client, url };
}

export type ApiClient = ReturnType<typeof controlPlaneClient>['client'];

/** Field errors the server attached to a refused write, if any. */
export function fieldErrorsOf(err: unknown): FieldError[] | undefined {
  if (err instanceof TRPCClientError) return (err.data as { fieldErrors?: FieldError[] } | undefined)?.fieldErrors;
  return undefined;
}

/** Rewrites a failed call as a message for the terminal: unreachable server, not found, conflict. */
export function explain(err: unknown, server: string): CliError {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code;
    if (!code) {
      return new CliError(`cannot reach the control plane at ${server} (${err.message}); start one with \`trellis control-plane\` or pass --server`);
    }
    return new CliError(`${code === 'CONFLICT' ? 'conflict: ' : ''}${err.message}`, code === 'NOT_FOUND' ? 1 : 1);
  }
  return new CliError((err as Error).message);
}
