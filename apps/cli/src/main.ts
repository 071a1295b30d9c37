// `trellis <command>`: each command lives in its own module, loaded only when used, so `trellis proxy`
// never loads the control plane's database code.
import { CliError, HelpRequested } from './errors.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number | void> }> }> = {
  up: { summary: 'run everything: control plane, dashboard and a demo mesh with traffic (npm start)', load: () => import('./commands/up.ts') },
  'control-plane': { summary: 'run the control plane (API, policy store, proxy stream)', load: () => import('./commands/control-plane.ts') },
  proxy: { summary: 'run a proxy (sidecar or node agent)', load: () => import('./commands/proxy.ts') },
  apply: { summary: 'create or update resources from YAML (-f FILE, or -f - for stdin)', load: () => import('./commands/apply.ts') },
  get: { summary: 'list resources of a kind, or show one (get KIND [NAME])', load: () => import('./commands/get.ts') },
  delete: { summary: 'delete a resource (delete KIND NAME)', load: () => import('./commands/delete.ts') },
  history: { summary: 'list the revisions of a resource (history KIND NAME)', load: () => import('./commands/history.ts') },
  tap: { summary: 'print live requests a service receives (tap SERVICE)', load: () => import('./commands/tap.ts') },
  rollback: { summary: 'restore an earlier revision (rollback KIND NAME --to REVISION)', load: () => import('./commands/rollback.ts') },
  login: { summary: 'sign in to a control plane (password, or --sso in the browser) and keep the token', load: () => import('./commands/login.ts') },
  logout: { summary: 'revoke and forget the token `login` kept', load: () => import('./commands/logout.ts') },
  whoami: { summary: 'who the control plane takes you for, and what you may do', load: () => import('./commands/whoami.ts') },
  token: {
    summary: 'tokens: API tokens for scripts (create --role editor --namespace shop --ttl 30d), join tokens for proxies (create --service NAME); list | revoke ID',
    load: () => import('./commands/token.ts'),
  },
  users: { summary: 'people (admins): users list | create NAME --role ROLE | link NAME | set-role | sign-out | remove', load: () => import('./commands/users.ts') },
  ca: { summary: 'the mesh CA: status, and rotating its root without a failed request (ca status | rotate)', load: () => import('./commands/ca.ts') },
  install: { summary: 'print the Kubernetes manifests that install Trellis (| kubectl apply -f -)', load: () => import('./commands/install.ts') },
  uninstall: { summary: 'print what removes a Kubernetes install (| kubectl delete -f -)', load: () => import('./commands/uninstall.ts') },
  inject: { summary: 'add the proxy to the workloads of a Kubernetes YAML stream (inject -f FILE | kubectl apply -f -)', load: () => import('./commands/inject.ts') },
  uninject: { summary: 'take the proxy out of the workloads of a YAML stream (uninject -f FILE)', load: () => import('./commands/uninject.ts') },
  check: { summary: 'checks the mesh: control plane, CA, proxies in sync, certificates, clock skew', load: () => import('./commands/check.ts') },
};

/**
 * Commands that are the whole process while they run: V8's young generation is capped before their
 * modules load (@trellis/shared/node, young-generation.ts); loading the control plane's modules alone
 * grew it to 2 x 8 MB, and a cap set later does not shrink it.
 */
const SERVERS = new Set(['control-plane', 'proxy']);

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: trellis <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Commands that talk to a control plane take --server URL (or TRELLIS_SERVER; default http://127.0.0.1:7400)',
    'and send the token `trellis login` kept for it, or TRELLIS_TOKEN.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trellis: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (SERVERS.has(name)) (await import('@trellis/shared/node')).capYoungGeneration();
  const code = await (await command.load()).run(rest);
  return code ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (control-plane, proxy) return only when they stop.
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      process.exitCode = 0;
    } else if (err instanceof CliError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`trellis: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
