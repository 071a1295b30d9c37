import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { parseCommandArgs } from '../args.ts';
import { explain, serverUrl } from '../client.ts';
import { tokenFor } from '../credentials.ts';
import { CliError } from '../errors.ts';

const USAGE = 'trellis tap SERVICE[.NAMESPACE] [--server URL]';

/** Prints live (sampled) requests a service receives until Ctrl-C, like `linkerd viz tap`. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('tap', argv, { server: { type: 'string' } }, USAGE);
  const [service] = positionals;
  if (!service) throw new CliError(`usage: ${USAGE}`, 2);
  const qualified = service.includes('.') ? service : `${service}.default`;
  const server = serverUrl(values.server);
  const token = await tokenFor(server);
  const wsClient = createWSClient({
    url: `${server.replace(/^http/, 'ws')}/trpc`,
    WebSocket: WebSocket as never,
    // The token goes in the connection params, which the control plane checks on every call.
    connectionParams: token ? { token } : null,
    onError: () => process.stderr.write(`cannot reach the control plane at ${server}; retrying (Ctrl-C to stop)\n`),
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  process.stderr.write(`tapping ${qualified} (sampled requests as they arrive; Ctrl-C to stop)\n`);
  let failed = false;
  await new Promise<void>((resolve) => {
    const sub = client.tap.watch.subscribe(
      { service: qualified },
      {
        onData: (e) => {
          const time = new Date(e.at).toISOString().slice(11, 23);
          process.stdout.write(`${time}  ${e.source.padEnd(20)} ${e.method.padEnd(6)} ${e.path.padEnd(30)} ${String(e.status).padEnd(4)} ${e.latencyMs.toFixed(1)} ms  trace=${e.traceId}\n`);
        },
        onError: (err) => {
          process.stderr.write(`tap failed: ${explain(err, server).message}\n`);
          failed = true;
          resolve();
        },
      },
    );
    process.once('SIGINT', () => {
      sub.unsubscribe();
      resolve();
    });
  });
  await wsClient.close();
  return failed ? 1 : 0;
}
