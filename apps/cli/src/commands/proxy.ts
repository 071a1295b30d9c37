import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseJoinToken } from '@trellis/shared';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LIMITS, limitHeapGrowth, parseAppProbe, runProxyWorker, startProxy, type ProxyOptions, type WorkloadOptions } from '@trellis/proxy';
import { parseCommandArgs, parsePort, parseProcessCount } from '../args.ts';
import { cliEnv, forgetJoinToken } from '../env.ts';
import { CliError } from '../errors.ts';

const USAGE = `trellis proxy --service NAME [--namespace default] [--zone ZONE] [--label key=value ...]
                     [--app-port PORT] [--inbound-port 15006] [--outbound-port 15001] [--admin-port 15000]
                     [--control-plane URL [--token-file FILE] | --config SNAPSHOT.json] [--instance ID] [--data-dir DIR] [--address 127.0.0.1]
                     [--workers N]
       trellis proxy --workload service=NAME,app-port=P,inbound-port=P,outbound-port=P[,namespace=..,zone=..,instance=..,
                     label.KEY=VALUE,config=FILE,data-dir=DIR,token-file=FILE] [--workload ...]   (node agent: one process, many workloads)`;

const HELP = `${USAGE}

Sidecar mode serves one workload; node-agent mode (--workload, repeatable) serves several, each with its
own listeners, identity (certificate), snapshot and disk copy; each joins with its own token
(token-file= in its --workload). Flags given next to --workload (--namespace, --zone, --label, --address,
--control-plane, --data-dir) are defaults for every workload.

  --control-plane URL        control plane to stream config from (default TRELLIS_SERVER or http://127.0.0.1:7400);
                             the stream always runs over TLS on that port; replicas: URL,URL,... (the proxy
                             moves to the next when one fails)
  --token-file FILE          the join token that lets this proxy in the first time (\`trellis token create --service NAME\`);
                             or TRELLIS_TOKEN. Afterwards the proxy proves itself with its certificate (kept 0600 in --data-dir)
  --service-account-token-file FILE
                             in Kubernetes, instead of a join token: a projected ServiceAccount token (audience "trellis"),
                             checked by the control plane with a TokenReview; re-read at every use
  --app-probe tcp|http:/PATH|none
                             how the sidecar checks its app (default tcp: a connection every second; http: a GET
                             answered below 500); after 2 failures the app's endpoint leaves its service until it answers again
  --app-probe-interval MS    time between probes (default 1000)
  --app-protocol http1|h2c|grpc
                             what the app speaks (default http1; gRPC calls always reach it over h2c)
  --ca-file FILE             roots (PEM) to trust for the control plane before its first trust bundle (needed
                             with a ServiceAccount token; a join token carries a pin instead); or TRELLIS_CA_ROOTS (PEM text)
  --config FILE              serve this snapshot JSON instead (standalone, tests); re-read on SIGHUP
  --app-port PORT            the local app; without it the workload only calls out (no inbound listener)
  --inbound-port PORT        where other proxies reach this workload (0 = any free port)
  --outbound-port PORT       where the local app sends requests, Host header naming the service
  --admin-port PORT          /ready, /config, /metrics (0 = any free port)
  --address ADDR             address the inbound listener binds and announces (default 127.0.0.1)
  --outbound-address ADDR    address the outbound listener binds (default 127.0.0.1, the local app only; a
                             node agent on Kubernetes binds its pod IP, for the node's pods through its hostPort)
  --admin-address ADDR       address the admin listener binds (default 127.0.0.1)
  --data-dir DIR             where the last good snapshot is kept (default .trellis/proxy/<service>-<instance>)
  --max-header-bytes N       largest request head accepted (default ${DEFAULT_LIMITS.maxHeaderBytes}; larger gets 431)
  --client-header-timeout MS time a client has to send its request head (default ${DEFAULT_LIMITS.headersTimeoutMs}; then 408)
  --client-idle-timeout MS   idle connections are closed after this (default ${DEFAULT_LIMITS.idleTimeoutMs})
  --drain-timeout MS         SIGTERM waits this long for requests in flight (default ${DEFAULT_DRAIN_TIMEOUT_MS})
  --workers N                processes serving the listeners (default 1). With N > 1 this process keeps the
                             control-plane stream, identity and admin port, and N worker processes share the
                             inbound and outbound ports (a core each, ~90 MB of memory each; docs/PROXY.md)

Once listening it prints one line: trellis proxy ready {"admin":..,"inbound":..,"outbound":..,"workloads":[..]}`;

const WORKLOAD_KEYS = new Set(['service', 'namespace', 'zone', 'instance', 'app-port', 'app-protocol', 'inbound-port', 'outbound-port', 'address', 'config', 'data-dir', 'token-file']);
const APP_PROTOCOLS = ['http1', 'h2c', 'grpc'] as const;

/** --app-protocol's value, checked. */
function parseAppProtocol(value: string, flag: string): (typeof APP_PROTOCOLS)[number] {
  const found = APP_PROTOCOLS.find((p) => p === value);
  if (!found) throw new CliError(`${flag}: "${value}" is not one of ${APP_PROTOCOLS.join(', ')}`, 2);
  return found;
}

function positiveMs(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: "${value}" is not a number of milliseconds (1 or more)`, 2);
  return n;
}

function parseLabel(text: string, flag: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new CliError(`${flag}: "${text}" is not key=value`, 2);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

type ParsedWorkload = WorkloadOptions & { tokenFile?: string };

/** "service=a,app-port=8080,label.version=v2" -> a workload, with the shared flags as defaults. */
function parseWorkload(spec: string, defaults: Omit<WorkloadOptions, 'service' | 'inboundPort' | 'outboundPort'>): ParsedWorkload {
  const fields = new Map<string, string>();
  const labels = { ...defaults.labels };
  for (const part of spec.split(',')) {
    const [key, value] = parseLabel(part.trim(), '--workload');
    if (key.startsWith('label.')) labels[key.slice(6)] = value;
    else if (WORKLOAD_KEYS.has(key)) fields.set(key, value);
    else throw new CliError(`--workload: unknown key "${key}" (known: ${[...WORKLOAD_KEYS].join(', ')}, label.KEY)`, 2);
  }
  const service = fields.get('service');
  if (!service) throw new CliError(`--workload "${spec}": service= is required`, 2);
  const appPort = fields.get('app-port');
  const workload: ParsedWorkload = {
    ...defaults,
    service,
    namespace: fields.get('namespace') ?? defaults.namespace,
    labels,
    inboundPort: parsePort(fields.get('inbound-port'), `--workload ${service} inbound-port`, 0),
    outboundPort: parsePort(fields.get('outbound-port'), `--workload ${service} outbound-port`, 0),
    address: fields.get('address') ?? defaults.address,
  };
  if (appPort !== undefined) workload.appPort = parsePort(appPort, `--workload ${service} app-port`, 0);
  const appProtocol = fields.get('app-protocol');
  if (appProtocol !== undefined) workload.appProtocol = parseAppProtocol(appProtocol, `--workload ${service} app-protocol`);
  const zone = fields.get('zone') ?? defaults.zone;
  if (zone !== undefined) workload.zone = zone;
  const instance = fields.get('instance');
  if (instance !== undefined) workload.instance = instance;
  const config = fields.get('config');
  if (config !== undefined) workload.configFile = path.resolve(config);
  const dataDir = fields.get('data-dir');
  if (dataDir !== undefined) workload.dataDir = path.resolve(dataDir);
  const tokenFile = fields.get('token-file');
  if (tokenFile !== undefined) workload.tokenFile = path.resolve(tokenFile);
  return workload;
}

/** The join token from --token-file, else TRELLIS_TOKEN; checked for shape so a wrong file is said at once. */
async function readToken(file: string | undefined): Promise<string | undefined> {
  let token = file === undefined ? cliEnv.token : undefined;
  if (file !== undefined) {
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new CliError(`--token-file ${file}: ${(err as Error).message}`, 2);
    }
  }
  if (token !== undefined && !parseJoinToken(token)) {
    throw new CliError(`${file !== undefined ? `--token-file ${file}` : 'TRELLIS_TOKEN'} does not hold a join token (<id>.<secret>.<pin>, as \`trellis token create --service NAME\` prints it)`, 2);
  }
  return token;
}

/** The PEM certificates in --ca-file. */
async function readRoots(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`--ca-file ${file}: ${(err as Error).message}`, 2);
  }
  const roots = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!roots) throw new CliError(`--ca-file ${file} holds no PEM certificate (the control plane's roots: GET /v1/trust-bundle)`, 2);
  return roots;
}

/** The PEM certificates in TRELLIS_CA_ROOTS (what an injected sidecar gets instead of --ca-file). */
function rootsFromEnv(text: string): string[] {
  const roots = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!roots) throw new CliError('TRELLIS_CA_ROOTS holds no PEM certificate (the control plane\'s roots: GET /v1/trust-bundle)', 2);
  return roots;
}

/** Runs a proxy until SIGTERM/SIGINT, then drains and exits 0. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'proxy',
    argv,
    {
      service: { type: 'string' },
      namespace: { type: 'string' },
      zone: { type: 'string' },
      label: { type: 'string', multiple: true },
      instance: { type: 'string' },
      'app-port': { type: 'string' },
      'inbound-port': { type: 'string' },
      'outbound-port': { type: 'string' },
      'outbound-address': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-address': { type: 'string' },
      'control-plane': { type: 'string' },
      'token-file': { type: 'string' },
      'service-account-token-file': { type: 'string' },
      'ca-file': { type: 'string' },
      'app-probe': { type: 'string' },
      'app-probe-interval': { type: 'string' },
      'app-protocol': { type: 'string' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      address: { type: 'string' },
      workload: { type: 'string', multiple: true },
      'max-header-bytes': { type: 'string' },
      'client-header-timeout': { type: 'string' },
      'client-idle-timeout': { type: 'string' },
      'drain-timeout': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`usage: ${HELP}\n`);
    return 0;
  }
  const labels = Object.fromEntries((values.label ?? []).map((l) => parseLabel(l, '--label')));
  const namespace = values.namespace ?? 'default';
  const address = values.address ?? '127.0.0.1';
  const outboundAddress = values['outbound-address'];
  const workloads: ParsedWorkload[] = [];
  if (values.workload?.length) {
    for (const flag of ['service', 'app-port', 'app-protocol', 'inbound-port', 'outbound-port', 'instance', 'config'] as const) {
      if (values[flag] !== undefined) throw new CliError(`--${flag} cannot be combined with --workload; put it inside each --workload`, 2);
    }
    const defaults = {
      namespace,
      labels,
      address,
      ...(outboundAddress !== undefined ? { outboundAddress } : {}),
      ...(values.zone !== undefined ? { zone: values.zone } : {}),
      ...(values['data-dir'] !== undefined ? { dataRoot: path.resolve(values['data-dir']) } : {}),
    };
    for (const spec of values.workload) workloads.push(parseWorkload(spec, defaults));
  } else {
    if (!values.service) throw new CliError(`trellis proxy: --service is required (or --workload for a node agent)\nusage: ${USAGE}`, 2);
    const w: WorkloadOptions = {
      service: values.service,
      namespace,
      labels,
      address,
      inboundPort: parsePort(values['inbound-port'], '--inbound-port', 15006),
      outboundPort: parsePort(values['outbound-port'], '--outbound-port', 15001),
      ...(outboundAddress !== undefined ? { outboundAddress } : {}),
    };
    if (values['app-port'] !== undefined) w.appPort = parsePort(values['app-port'], '--app-port', 0);
    if (values['app-protocol'] !== undefined) w.appProtocol = parseAppProtocol(values['app-protocol'], '--app-protocol');
    if (values.zone !== undefined) w.zone = values.zone;
    if (values.instance !== undefined) w.instance = values.instance;
    if (values.config !== undefined) w.configFile = path.resolve(values.config);
    if (values['data-dir'] !== undefined) w.dataDir = path.resolve(values['data-dir']);
    workloads.push(w);
  }
  const needsControlPlane = workloads.some((w) => w.configFile === undefined);
  // A worker of --workers N runs this same command line; it serves what its primary sends it (identity
  // included), so it reads no join token. Both: a worker of some other node:cluster parent (pm2 cluster
  // mode) is a proxy of its own.
  const isProxyWorker = cluster.isWorker && cliEnv.proxyWorker;
  // One token for a sidecar (--token-file or TRELLIS_TOKEN); a node agent's workloads may each have their own.
  const token = isProxyWorker ? undefined : await readToken(values['token-file']);
  forgetJoinToken();
  const initialRoots = values['ca-file'] !== undefined ? await readRoots(values['ca-file']) : cliEnv.caRoots !== undefined ? rootsFromEnv(cliEnv.caRoots) : undefined;
  const appProbe = values['app-probe'] === undefined ? undefined : parseAppProbe(values['app-probe']);
  if (values['app-probe'] !== undefined && !appProbe) throw new CliError(`--app-probe: "${values['app-probe']}" is not tcp, none or http:/PATH`, 2);
  for (const w of workloads) {
    const own = isProxyWorker ? undefined : w.tokenFile !== undefined ? await readToken(w.tokenFile) : token;
    delete w.tokenFile;
    if (own !== undefined) w.token = own;
    if (values['service-account-token-file'] !== undefined) w.serviceAccountTokenFile = path.resolve(values['service-account-token-file']);
    if (initialRoots) w.initialRoots = initialRoots;
    if (appProbe) w.appProbe = appProbe;
    if (values['app-probe-interval'] !== undefined) w.appProbeIntervalMs = positiveMs(values['app-probe-interval'], '--app-probe-interval', 1000);
  }
  if (values['control-plane'] !== undefined && !needsControlPlane) {
    throw new CliError('--control-plane and --config are alternatives: a proxy takes its config from one of them', 2);
  }
  const options: ProxyOptions = {
    workloads,
    adminPort: parsePort(values['admin-port'], '--admin-port', 15000),
    adminAddress: values['admin-address'] ?? '127.0.0.1',
    limits: {
      maxHeaderBytes: positiveMs(values['max-header-bytes'], '--max-header-bytes', DEFAULT_LIMITS.maxHeaderBytes),
      headersTimeoutMs: positiveMs(values['client-header-timeout'], '--client-header-timeout', DEFAULT_LIMITS.headersTimeoutMs),
      idleTimeoutMs: positiveMs(values['client-idle-timeout'], '--client-idle-timeout', DEFAULT_LIMITS.idleTimeoutMs),
    },
    drainTimeoutMs: positiveMs(values['drain-timeout'], '--drain-timeout', DEFAULT_DRAIN_TIMEOUT_MS),
    workers: parseProcessCount(values.workers, '--workers'),
    log: (line) => process.stderr.write(`[proxy] ${line}\n`),
  };
  if (needsControlPlane) options.controlPlane = values['control-plane'] ?? cliEnv.server ?? 'http://127.0.0.1:7400';

  // A node agent's memory is judged per workload: collect the old generation sooner (heap-growth.ts).
  if (options.workloads.length > 1) limitHeapGrowth();
  if (isProxyWorker) {
    await runProxyWorker(options);
    setTimeout(() => process.exit(0), 500).unref();
    return 0;
  }
  let proxy;
  try {
    proxy = await startProxy(options);
  } catch (err) {
    throw new CliError(`trellis proxy: ${(err as Error).message}`);
  }
  const running = proxy;
  process.stdout.write(`${running.readyLine()}\n`);
  process.on('SIGHUP', () => void running.reload());
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        options.log(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      options.log(`${signal}: draining (up to ${options.drainTimeoutMs} ms)`);
      running.drain().then(resolve, resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  // Everything is closed; if a stray handle still holds the event loop, do not hang on it.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}
