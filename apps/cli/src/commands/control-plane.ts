import path from 'node:path';
import { DEFAULT_DASHBOARD_URL, DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, keepWasmOnLiftoff, parseRoleMappings, startControlPlane, type OidcOptions } from '@trellis/control-plane';
import { isTrustDomain, parseDuration, parseLifetime } from '@trellis/shared';
import { lifetimeFlag, parseCommandArgs, parsePort } from '../args.ts';
import { cliEnv } from '../env.ts';
import { CliError } from '../errors.ts';

const USAGE =
  'trellis control-plane [--port 7400] [--host 127.0.0.1] [--data-dir .trellis/data] [--database-url postgres://...] [--redis-url redis://...]\n' +
  '                      [--trace-sampling 1] [--span-retention 24h] [--max-spans 200000] [--otlp-endpoint http://collector:4318] [--endpoint-grace 10000]\n' +
  '                      [--max-body-bytes 1048576] [--kubernetes [--kubeconfig FILE]] [--proxy-image IMAGE --in-cluster-url URL]\n' +
  '                      [--scale-hook-url URL | --scale-command COMMAND]\n' +
  '                      [--trust-domain trellis.local] [--cert-ttl 24h] [--ca-cert FILE --ca-key FILE] [--tls-san NAME ...]\n' +
  '                      [--dashboard-url http://127.0.0.1:7401] [--cors-origin ORIGIN]... [--public-metrics] [--no-sign-in-link]\n' +
  '                      [--session-idle 12h] [--session-max-age 7d]\n' +
  '                      [--oidc-issuer URL --oidc-client-id ID --oidc-role GROUP=ROLE[:NS,...]... [--oidc-groups-claim groups]\n' +
  '                       [--oidc-scopes "openid profile email groups"] [--oidc-redirect-url URL] [--oidc-label TEXT]]';

const HELP = `${USAGE}

Without --database-url (or DATABASE_URL) the embedded PGlite database in --data-dir (TRELLIS_DATA_DIR) is used.
--max-body-bytes: the largest API request body (and tRPC WebSocket message) accepted; larger gets 413 (default ${DEFAULT_MAX_BODY_BYTES}, 1 MiB).

Identity: the control plane runs the mesh CA. On first start it makes a root and an intermediate (ECDSA
P-256) in <data-dir>/ca (keys 0600), or uses the intermediate you bring:
  --ca-cert FILE     intermediate certificate (PEM), optionally followed by its chain up to the root
  --ca-key FILE      its private key (PKCS#8 PEM, ECDSA P-256)
  --trust-domain TD  SPIFFE trust domain of workload identities (default trellis.local)
  --cert-ttl 24h     lifetime of workload certificates (proxies renew at two thirds; at least 5s)
  --tls-san NAME     another name or address proxies reach this control plane by (repeatable)
  TRELLIS_CA_SECRET  keep the self-made CA in the database, sealed with a key derived from this secret (at
                     least 32 characters), instead of in the data directory: for several replicas on one
                     Postgres (give each the same secret, and proxies --control-plane URL,URL,...)

Kubernetes (see docs/KUBERNETES.md; \`trellis install\` sets these):
  --proxy-image IMAGE   serve the sidecar injector (admission webhook, over TLS) adding proxies of this image
  --in-cluster-url URL  where injected proxies reach this control plane (https://trellis-control-plane.trellis-system.svc:7400)

Scale to zero (ScaleToZeroPolicy, docs/KUBERNETES.md): in Kubernetes mode the workload's scale subresource
is changed; elsewhere the control plane calls a hook to start and stop a service's workload:
  --scale-hook-url URL   POST {"service","namespace","replicas"} (JSON) to URL; a 2xx answer means done
  --scale-command CMD    run CMD (through the shell) with service, namespace and replicas as its last arguments

Who may call the API: people sign in (the dashboard, \`trellis login\`), scripts send an API token.
  First run (no users): creates "admin" with a random password and prints a one-time sign-in link to
  the dashboard (--dashboard-url). TRELLIS_ADMIN_PASSWORD sets that password instead (automation).
  TRELLIS_BOOTSTRAP_TOKEN: an admin API token held in memory only (at least 24 characters).
  --cors-origin ORIGIN  a browser origin allowed to call the API directly (repeatable; none by default)
  --public-metrics      serve /metrics without credentials (otherwise a token with mesh:read)
  --session-idle 12h, --session-max-age 7d  when a browser session ends
  Single sign-on: --oidc-issuer and --oidc-client-id (TRELLIS_OIDC_ISSUER, TRELLIS_OIDC_CLIENT_ID; the
  secret only as TRELLIS_OIDC_CLIENT_SECRET), groups mapped to roles with --oidc-role (or
  TRELLIS_OIDC_ROLES="platform=admin;shop-devs=editor:shop"). Register <dashboard-url>/auth/oidc/callback.`;

/** Runs the control plane until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('control-plane', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    'redis-url': { type: 'string' },
    'trace-sampling': { type: 'string' },
    'endpoint-grace': { type: 'string' },
    'otlp-endpoint': { type: 'string' },
    kubernetes: { type: 'boolean' },
    'scale-hook-url': { type: 'string' },
    'scale-command': { type: 'string' },
    kubeconfig: { type: 'string' },
    'proxy-image': { type: 'string' },
    'in-cluster-url': { type: 'string' },
    'span-retention': { type: 'string' },
    'max-spans': { type: 'string' },
    'trust-domain': { type: 'string' },
    'cert-ttl': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    'tls-san': { type: 'string', multiple: true },
    'max-body-bytes': { type: 'string' },
    'dashboard-url': { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    'public-metrics': { type: 'boolean' },
    'no-sign-in-link': { type: 'boolean' },
    'session-idle': { type: 'string' },
    'session-max-age': { type: 'string' },
    'oidc-issuer': { type: 'string' },
    'oidc-client-id': { type: 'string' },
    'oidc-role': { type: 'string', multiple: true },
    'oidc-groups-claim': { type: 'string' },
    'oidc-scopes': { type: 'string' },
    'oidc-redirect-url': { type: 'string' },
    'oidc-label': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`usage: ${HELP}\n`);
    return 0;
  }
  const trustDomain = values['trust-domain'];
  if (trustDomain !== undefined && !isTrustDomain(trustDomain)) throw new CliError(`--trust-domain: "${trustDomain}" is not a trust domain (lowercase letters, digits, "-" and ".")`, 2);
  const certTtl = values['cert-ttl'] === undefined ? undefined : parseLifetime(values['cert-ttl']);
  if (values['cert-ttl'] !== undefined && (certTtl === undefined || certTtl < 5000 || certTtl > 365 * 86_400_000)) {
    throw new CliError('--cert-ttl: write it like "24h" or "30m" (from 5s to 365d)', 2);
  }
  if ((values['ca-cert'] === undefined) !== (values['ca-key'] === undefined)) throw new CliError('--ca-cert and --ca-key go together: the intermediate and its key', 2);
  const dashboardUrl = (values['dashboard-url'] ?? cliEnv.dashboardUrl ?? DEFAULT_DASHBOARD_URL).replace(/\/+$/, '');
  if (!URL.canParse(dashboardUrl)) throw new CliError(`--dashboard-url: "${dashboardUrl}" is not a URL (like http://127.0.0.1:7401)`, 2);
  for (const origin of values['cors-origin'] ?? []) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) throw new CliError(`--cors-origin: "${origin}" is not an origin (scheme://host[:port], no path)`, 2);
  }
  const idleMs = values['session-idle'] === undefined ? undefined : lifetimeFlag(values['session-idle'], '--session-idle');
  const maxAgeMs = values['session-max-age'] === undefined ? undefined : lifetimeFlag(values['session-max-age'], '--session-max-age');
  const oidc = oidcOptions(values, dashboardUrl);
  const sampling = values['trace-sampling'] === undefined ? undefined : Number(values['trace-sampling']);
  if (sampling !== undefined && !(sampling >= 0 && sampling <= 1)) throw new CliError('--trace-sampling: must be a number from 0 to 1', 2);
  const graceMs = values['endpoint-grace'] === undefined ? undefined : Number(values['endpoint-grace']);
  if (graceMs !== undefined && !(graceMs >= 0)) throw new CliError('--endpoint-grace: must be milliseconds (a number >= 0)', 2);
  const retention = values['span-retention'] === undefined ? undefined : parseDuration(values['span-retention']);
  if (retention === undefined && values['span-retention'] !== undefined) throw new CliError('--span-retention: write it like "24h" or "30m"', 2);
  const maxSpans = values['max-spans'] === undefined ? undefined : Number(values['max-spans']);
  if (maxSpans !== undefined && !(Number.isInteger(maxSpans) && maxSpans > 0)) throw new CliError('--max-spans: must be a whole number above 0', 2);
  const maxBodyBytes = values['max-body-bytes'] === undefined ? undefined : Number(values['max-body-bytes']);
  // Below 1 KiB not even a small apply fits.
  if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1024)) {
    throw new CliError('--max-body-bytes: must be a whole number of bytes, at least 1024', 2);
  }
  if ((values['proxy-image'] === undefined) !== (values['in-cluster-url'] === undefined)) {
    throw new CliError('--proxy-image and --in-cluster-url go together: the image injected proxies run, and where they reach this control plane', 2);
  }
  const inClusterUrl = values['in-cluster-url'];
  if (inClusterUrl !== undefined && (!URL.canParse(inClusterUrl) || new URL(inClusterUrl).protocol !== 'https:')) {
    throw new CliError(`--in-cluster-url: "${inClusterUrl}" is not an https:// URL (like https://trellis-control-plane.trellis-system.svc:7400)`, 2);
  }
  const scaleHookUrl = values['scale-hook-url'];
  if (scaleHookUrl !== undefined && (!URL.canParse(scaleHookUrl) || !/^https?:$/.test(new URL(scaleHookUrl).protocol))) {
    throw new CliError(`--scale-hook-url: "${scaleHookUrl}" is not an http:// or https:// URL`, 2);
  }
  if (scaleHookUrl !== undefined && values['scale-command'] !== undefined) throw new CliError('--scale-hook-url and --scale-command: give one of them', 2);
  const log = (line: string) => process.stdout.write(`[control-plane] ${line}\n`);
  // The whole process is this control plane: no TurboFan for its WebAssembly (db/wasm-tiering.ts), set
  // before the database opens. (Its young generation is capped by main.ts.)
  keepWasmOnLiftoff();
  let cp;
  try {
    cp = await startControlPlane({
      port: parsePort(values.port ?? cliEnv.port, values.port ? '--port' : 'PORT', DEFAULT_PORT),
      host: values.host ?? '127.0.0.1',
      databaseUrl: values['database-url'] ?? cliEnv.databaseUrl,
      dataDir: path.resolve(values['data-dir'] ?? cliEnv.dataDir ?? DEFAULT_DATA_DIR),
      redisUrl: values['redis-url'] ?? cliEnv.redisUrl ?? 'redis://127.0.0.1:6379',
      ...(sampling !== undefined ? { defaultSampling: sampling } : {}),
      ...(graceMs !== undefined ? { endpointGraceMs: graceMs } : {}),
      ...(retention !== undefined ? { spanMaxAgeMs: retention } : {}),
      ...(maxSpans !== undefined ? { maxSpans } : {}),
      ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
      otlpEndpoint: values['otlp-endpoint'],
      // Endpoints from Kubernetes EndpointSlices as well as from proxy hellos.
      kubernetes: values.kubernetes || values.kubeconfig ? { kubeconfig: values.kubeconfig } : undefined,
      scaling: { hookUrl: scaleHookUrl, command: values['scale-command'] },
      ...(trustDomain !== undefined ? { trustDomain } : {}),
      ...(certTtl !== undefined ? { certTtlMs: certTtl } : {}),
      ...(values['ca-cert'] !== undefined && values['ca-key'] !== undefined ? { ca: { certFile: path.resolve(values['ca-cert']), keyFile: path.resolve(values['ca-key']) } } : {}),
      ...(values['tls-san'] ? { tlsHosts: values['tls-san'] } : {}),
      ...(values['proxy-image'] !== undefined && inClusterUrl !== undefined ? { injector: { image: values['proxy-image'], controlPlaneUrl: inClusterUrl } } : {}),
      log,
      bootstrapToken: cliEnv.bootstrapToken,
      caSecret: cliEnv.caSecret,
      adminPassword: cliEnv.adminPassword,
      dashboardUrl,
      corsOrigins: values['cors-origin'] ?? [],
      publicMetrics: values['public-metrics'] ?? false,
      sessions: { ...(idleMs ? { idleMs } : {}), ...(maxAgeMs ? { maxAgeMs } : {}) },
      oidc,
      // `trellis up` makes its own link (through the bootstrap token) and prints it where logs do not go.
      ...(values['no-sign-in-link'] ? { onFirstRun: null } : {}),
    });
  } catch (err) {
    throw new CliError(`trellis control-plane: ${(err as Error).message}`);
  }
  const control = cp;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      control.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/** Single sign-on settings from flags and environment, checked; undefined when no issuer is named. */
function oidcOptions(values: Record<string, string | boolean | string[] | undefined>, dashboardUrl: string): OidcOptions | undefined {
  const text = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const issuer = text('oidc-issuer') ?? cliEnv.oidc.issuer;
  if (!issuer) return undefined;
  if (!URL.canParse(issuer)) throw new CliError(`--oidc-issuer: "${issuer}" is not a URL`, 2);
  const clientId = text('oidc-client-id') ?? cliEnv.oidc.clientId;
  if (!clientId) throw new CliError('--oidc-client-id (or TRELLIS_OIDC_CLIENT_ID) is needed with --oidc-issuer: the client id registered at the issuer', 2);
  let roles;
  try {
    const rules = Array.isArray(values['oidc-role']) ? values['oidc-role'] : [];
    roles = parseRoleMappings([...rules, ...(cliEnv.oidc.roles ? [cliEnv.oidc.roles] : [])]);
  } catch (err) {
    throw new CliError(`--oidc-role: ${(err as Error).message}`, 2);
  }
  if (roles.length === 0) throw new CliError('--oidc-role: map at least one of the issuer\'s groups to a role (e.g. --oidc-role platform=admin), or nobody can sign in with SSO', 2);
  return {
    issuer,
    clientId,
    clientSecret: cliEnv.oidc.clientSecret,
    redirectUrl: text('oidc-redirect-url') ?? `${dashboardUrl}/auth/oidc/callback`,
    scopes: text('oidc-scopes') ?? 'openid profile email groups',
    groupsClaim: text('oidc-groups-claim') ?? 'groups',
    roles,
    label: text('oidc-label') ?? 'Sign in with SSO',
  };
}
