import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { parseCommandArgs, parsePort } from '../args.ts';
import { childEnv, cliEnv } from '../env.ts';
import { CliError } from '../errors.ts';
import { repoRoot, trellisCommand } from '../paths.ts';
import { DEMO_RESOURCES, DEMO_SERVICES, FUNCTION, FUNCTION_CALL_EVERY_MS, FUNCTION_IDLE, LOADGEN, SHOP, portsOf } from '../demo/shop.ts';
import { FunctionScaler } from '../demo/function.ts';
import { startApp } from '../demo/apps.ts';
import { startTraffic } from '../demo/traffic.ts';
import { Supervisor } from '../demo/supervisor.ts';
import { buildDashboard, dashboardBuildIsStale } from '../demo/web-build.ts';

const USAGE = `trellis up [--port 7400] [--dashboard-port 7401] [--port-base 7410] [--rps 20] [--data-dir .trellis/data] [--fresh]`;
// Four per workload (the shop, the load generator, the function), then the demo's scale hook.
const PORTS = (SHOP.length + 2) * 4 + 1;
const HELP = `${USAGE}

Runs the whole product on this machine: the control plane (embedded PGlite in --data-dir, or the
Postgres in DATABASE_URL), the dashboard (a production build, made once), and a demo shop of ${SHOP.length}
workloads, each a small app with its own sidecar proxy (HTTP, and gRPC from reviews v2 to ratings), with
steady traffic into the frontend from a load generator with a sidecar of its own. Every proxy joins
with a join token and talks mutual TLS.
One more service, ${FUNCTION.service}, is serverless (a ScaleToZeroPolicy): it runs only after a request for it
came, and is stopped after ${FUNCTION_IDLE} without one; the load generator calls it once a minute.

  --port N            control plane API and proxy stream (default 7400, or PORT)
  --dashboard-port N  the dashboard (default 7401)
  --port-base N       first of ${PORTS} ports for the demo apps and their proxies (default 7410)
  --rps N             demo requests per second into the frontend (default 20)
  --data-dir DIR      the embedded database and logs (default .trellis/data; TRELLIS_DATA_DIR)
  --fresh             start from an empty database
  --no-dashboard      skip the dashboard
Logs of every process are in <data-dir>/../logs. Ctrl-C stops everything.

Signing in: the first start creates the user "admin" with a random password nobody sees; every start
prints a one-time sign-in link (15 minutes) that opens the dashboard as that admin, where you can set a
password and invite people. The demo policies are applied with an admin token made for this run and
held in memory by the control plane (TRELLIS_BOOTSTRAP_TOKEN sets it, for automation).`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function assertFree(port: number, what: string, flag: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is already in use; stop what is using it (is another \`trellis up\` running?) or pass ${flag}`
            : `cannot listen on port ${port} (${what}): ${err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** The API as `trellis up` calls it: with the admin token it gave its control plane for this run. */
function apiClient(url: string, token: string) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });
}

/** One join token per demo service, for this run only (proxies keep their certificates for the next). */
async function joinTokens(api: ReturnType<typeof apiClient>): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const service of DEMO_SERVICES) {
    const { token } = await api.identity.joinTokens.create.mutate({ service, namespace: 'default', ttl: '1h' });
    tokens.set(service, token);
  }
  return tokens;
}

/** Applies the demo resources that do not exist yet, so edits made in the dashboard survive restarts. */
async function applyDemoResources(api: ReturnType<typeof apiClient>): Promise<string[]> {
  const created: string[] = [];
  for (const resource of DEMO_RESOURCES) {
    try {
      await api.resources.get.query({ kind: resource.kind, name: resource.metadata.name, namespace: resource.metadata.namespace });
    } catch (err) {
      if (!(err instanceof TRPCClientError) || (err.data as { code?: string } | undefined)?.code !== 'NOT_FOUND') throw err;
      await api.resources.upsert.mutate({ resource, note: 'demo policy applied by trellis up' });
      created.push(`${resource.kind} ${resource.metadata.name}`);
    }
  }
  return created;
}

/**
 * A one-time sign-in link for the first admin, so `npm start` takes whoever runs it straight into the
 * dashboard. Printed here only (the control plane's log files never hold it).
 */
async function signInLink(api: ReturnType<typeof apiClient>): Promise<{ url: string; username: string } | undefined> {
  const admin = (await api.users.list.query()).filter((u) => u.role === 'admin').sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)))[0];
  return admin ? api.users.signInLink.mutate({ id: admin.id }) : undefined;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('up', argv, {
    port: { type: 'string' },
    'dashboard-port': { type: 'string' },
    'port-base': { type: 'string' },
    rps: { type: 'string' },
    'data-dir': { type: 'string' },
    fresh: { type: 'boolean' },
    'no-dashboard': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) {
    say(`usage: ${HELP}`);
    return 0;
  }
  const root = repoRoot();
  const cpPort = parsePort(values.port ?? cliEnv.port, values.port ? '--port' : 'PORT', 7400);
  const dashboardPort = parsePort(values['dashboard-port'], '--dashboard-port', 7401);
  const portBase = parsePort(values['port-base'], '--port-base', 7410);
  const rps = values.rps === undefined ? 20 : Number(values.rps);
  if (!(rps >= 0 && rps <= 2000)) throw new CliError('--rps: must be a number from 0 to 2000', 2);
  const dataDir = path.resolve(values['data-dir'] ?? cliEnv.dataDir ?? path.join(root, '.trellis/data'));
  const logDir = path.join(path.dirname(dataDir), 'logs');
  const withDashboard = !values['no-dashboard'];

  await assertFree(cpPort, 'control plane', '--port');
  if (withDashboard) await assertFree(dashboardPort, 'dashboard', '--dashboard-port');
  for (const [i, w] of [...SHOP, LOADGEN, FUNCTION].entries()) {
    for (const [role, port] of Object.entries(portsOf(portBase, i))) await assertFree(port, `${w.id} ${role}`, '--port-base');
  }
  const hookPort = portBase + PORTS - 1;
  await assertFree(hookPort, 'scale hook', '--port-base');

  // Fresh means everything this command keeps: the database and the proxies' saved snapshots.
  if (values.fresh) {
    await rm(dataDir, { recursive: true, force: true });
    await rm(path.join(path.dirname(dataDir), 'proxies'), { recursive: true, force: true });
  }

  const supervisor = new Supervisor(logDir);
  const functionPorts = portsOf(portBase, SHOP.length + 1);
  const functionScaler = new FunctionScaler(supervisor, functionPorts, say);
  const apps: { close(): void }[] = [];
  const dashboardBuild = new AbortController();
  let building: Promise<void> | undefined;
  let traffic: ReturnType<typeof startTraffic> | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      // First, so that children exiting on their own (a terminal's Ctrl-C reaches them too) are expected.
      supervisor.markStopping();
      dashboardBuild.abort();
      await building?.catch(() => undefined);
      await traffic?.stop();
      await functionScaler.close();
      await supervisor.stopAll();
      for (const a of apps) a.close();
    })());
  supervisor.onUnexpectedExit = (child, code) => {
    say(`✗ ${child.name} stopped unexpectedly (exit ${code}); see ${child.logFile}. Stopping everything.`);
    void stopAll().then(() => process.exit(1));
  };
  // Ctrl-C is honoured from here on, also in the middle of starting (the dashboard build takes a minute).
  let interrupted = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (interrupted) {
        // A second Ctrl-C: kill what is left (a running next build is killed on exit) and go.
        say(`${signal} again: killing what is left`);
        supervisor.killAll();
        process.exit(130);
      }
      interrupted = true;
      say(`\n${signal}: stopping everything ... (again to kill at once)`);
      void stopAll().then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

  const [node, trellis] = trellisCommand(root);
  // An admin credential for this run only: given to the control plane in its environment, never stored
  // (TRELLIS_BOOTSTRAP_TOKEN sets it, for automation).
  const bootstrapToken = cliEnv.bootstrapToken ?? `trb_${randomBytes(32).toString('base64url')}`;
  const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  try {
    const databaseUrl = cliEnv.databaseUrl;
    // The control plane starts and stops the function through this hook (ScaleToZeroPolicy).
    const hookUrl = await functionScaler.listen(hookPort);
    const cp = await supervisor.start(
      'control-plane',
      node,
      [...trellis, 'control-plane', '--port', String(cpPort), '--data-dir', dataDir, '--dashboard-url', dashboardUrl, '--no-sign-in-link', '--scale-hook-url', hookUrl],
      { ready: /listening on (http:\/\/[\d.:]+) \(database: ([^)]+)\)/, env: childEnv({ TRELLIS_BOOTSTRAP_TOKEN: bootstrapToken }) },
    );
    const cpUrl = cp.match[1] ?? `http://127.0.0.1:${cpPort}`;
    say(`✓ control plane   ${cpUrl}  (${databaseUrl ? 'Postgres from DATABASE_URL' : `PGlite in ${path.relative(process.cwd(), dataDir) || dataDir}`})`);

    const api = apiClient(cpUrl, bootstrapToken);
    const created = await applyDemoResources(api);
    say(`✓ demo policies   ${created.length ? `applied ${created.join(', ')}` : 'already in place (kept as you left them)'}`);
    const link = withDashboard ? await signInLink(api) : undefined;
    if (link) say(`✓ sign-in link    ${link.url}  (one-time, 15 minutes: opens the dashboard as ${link.username})`);
    const tokens = await joinTokens(api);
    const proxyArgs = (id: string, service: string, zone: string, ports: ReturnType<typeof portsOf>) => [
      ...trellis, 'proxy',
      '--service', service, '--instance', id, '--zone', zone,
      '--outbound-port', String(ports.outbound), '--admin-port', String(ports.admin), '--control-plane', cpUrl,
      '--data-dir', path.join(path.dirname(dataDir), 'proxies', id),
    ]; // prettier-ignore
    const proxyEnv = (service: string) => ({ env: childEnv({ TRELLIS_TOKEN: tokens.get(service) }), ready: /trellis proxy ready/ });

    // The sidecars start together: each takes about a second, mostly Node starting up.
    await Promise.all(
      SHOP.map(async (w, i) => {
        const ports = portsOf(portBase, i);
        const app = await startApp(w, ports.app, ports.outbound);
        apps.push(app);
        if (interrupted) app.close();
        await supervisor.start(
          `proxy-${w.id}`,
          node,
          [
            ...proxyArgs(w.id, w.service, w.zone, ports),
            ...['--label', `version=${w.version}`, '--app-port', String(ports.app), '--inbound-port', String(ports.inbound)],
            ...(w.protocol === 'grpc' ? ['--app-protocol', 'grpc'] : []),
          ],
          proxyEnv(w.service),
        );
      }),
    );
    const loadgen = portsOf(portBase, SHOP.length);
    await supervisor.start(`proxy-${LOADGEN.id}`, node, proxyArgs(LOADGEN.id, LOADGEN.service, LOADGEN.zone, loadgen), proxyEnv(LOADGEN.service));
    for (const [i, w] of SHOP.entries()) {
      const ports = portsOf(portBase, i);
      say(`✓ ${w.id.padEnd(15)} ${w.protocol === 'grpc' ? 'gRPC app' : 'app'} :${ports.app}, sidecar in :${ports.inbound} out :${ports.outbound} admin :${ports.admin}`);
    }

    say(`✓ ${LOADGEN.id.padEnd(15)} no app, sidecar out :${loadgen.outbound} admin :${loadgen.admin}`);
    functionScaler.enable(async (ports) => {
      const args = [...proxyArgs(FUNCTION.id, FUNCTION.service, FUNCTION.zone, ports), '--label', `version=${FUNCTION.version}`, '--app-port', String(ports.app), '--inbound-port', String(ports.inbound)];
      return (await supervisor.start(`proxy-${FUNCTION.id}`, node, args, proxyEnv(FUNCTION.service))).child;
    });
    say(`✓ ${FUNCTION.id.padEnd(15)} serverless: no process until a request for it comes (held by the caller's sidecar while it starts); scaled to zero after ${FUNCTION_IDLE} idle; app :${functionPorts.app}, scale hook :${hookPort}`);

    if (interrupted) throw new Error('interrupted');
    traffic = startTraffic(`http://127.0.0.1:${loadgen.outbound}`, rps, { host: FUNCTION.service, everyMs: FUNCTION_CALL_EVERY_MS });
    say(`✓ traffic         ${rps} requests/s into frontend through ${LOADGEN.id}'s sidecar, every hop mutual TLS; the service graph is live at ${cpUrl}/trpc/graph.get`);

    if (withDashboard) {
      // Built after the mesh is up, so the graph has traffic while next build runs.
      if (dashboardBuildIsStale(root)) {
        say('building the dashboard once (next build; about a minute on 2 cores) ...');
        const t0 = Date.now();
        building = buildDashboard(root, say, dashboardBuild.signal);
        await building;
        say(`✓ dashboard built in ${Math.round((Date.now() - t0) / 1000)} s`);
      }
      await supervisor.start('dashboard', node, [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '-p', String(dashboardPort), '-H', '127.0.0.1'], {
        cwd: path.join(root, 'apps/web'),
        env: childEnv({ TRELLIS_SERVER: cpUrl, NEXT_TELEMETRY_DISABLED: '1', PORT: String(dashboardPort) }),
        ready: /Ready in|started server|Local:/i,
      });
      say(`✓ dashboard       http://127.0.0.1:${dashboardPort}`);
    }
    say(`\nlogs: ${logDir}`);
    say(withDashboard ? `dashboard: ${dashboardUrl}${link ? ' (open the one-time sign-in link above)' : ''}` : `control plane: ${cpUrl}`);
  } catch (err) {
    if (!interrupted) {
      await stopAll();
      throw err instanceof CliError ? err : new CliError(`trellis up: ${(err as Error).message}`);
    }
  }

  await stopped;
  say('stopped.');
  return 0;
}
