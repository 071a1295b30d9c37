import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain, type ApiClient } from '../client.ts';
import { CliError } from '../errors.ts';
import { cliEnv } from '../env.ts';

const USAGE = 'trellis check [--server URL] [--kubernetes [--pre] [--kubeconfig FILE] [--namespace trellis-system]]';
const DAY = 86_400_000;
/** Certificates are dated 5 minutes back: a proxy whose clock is further off may reject them. */
const SKEW_FAIL_MS = 5 * 60_000;
const SKEW_WARN_MS = 5_000;

export interface CheckResult {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do when it is not ok. */
  fix?: string;
}

/** The checks `trellis check` runs against a reachable control plane, in order. */
export async function meshChecks(client: ApiClient, now = Date.now()): Promise<CheckResult[]> {
  const [overview, proxies] = await Promise.all([client.identity.overview.query(), client.proxies.list.query()]);
  const results: CheckResult[] = [];
  const roots = overview.bundle.roots;
  const issuing = roots.find((r) => r.id === overview.bundle.issuingRoot);
  const left = issuing ? new Date(issuing.notAfter).getTime() - now : -1;
  results.push(
    !issuing || left <= 0
      ? { name: 'mesh CA', status: 'fail', detail: issuing ? `root ${issuing.id} expired at ${issuing.notAfter}` : 'no issuing root', fix: 'rotate to a new root: `trellis ca rotate`' }
      : left < 30 * DAY
        ? { name: 'mesh CA', status: 'warn', detail: `root ${issuing.id} expires in ${Math.round(left / DAY)} days (${issuing.notAfter})`, fix: 'rotate soon: `trellis ca rotate`' }
        : { name: 'mesh CA', status: 'ok', detail: `trust domain ${overview.trustDomain}, root ${issuing.id} valid until ${issuing.notAfter}, bundle version ${overview.bundle.version}` },
  );
  const rotation = overview.rotation;
  results.push(
    rotation.phase === 'idle'
      ? { name: 'trust rotation', status: 'ok', detail: 'none under way' }
      : {
          name: 'trust rotation',
          status: 'warn',
          detail: `${rotation.phase}, waiting for ${rotation.waitingFor.map((w) => `${w.instance} (${w.why})`).join(', ') || 'nothing'}`,
          fix: 'the proxies it waits for must be connected; see `trellis ca status`',
        },
  );
  const connected = proxies.filter((p) => p.connected);
  const outOfSync = connected.filter((p) => !p.inSync);
  results.push(
    outOfSync.length === 0
      ? { name: 'proxies in sync', status: connected.length ? 'ok' : 'warn', detail: connected.length ? `${connected.length} connected, every one runs its current config` : 'no proxy is connected', ...(connected.length ? {} : { fix: 'start proxies with `trellis proxy --control-plane URL --token-file FILE`' }) }
      : {
          name: 'proxies in sync',
          status: 'fail',
          detail: `${outOfSync.length} of ${connected.length} do not run their current config: ${outOfSync.map((p) => `${p.instance}${p.lastError ? ` (${p.lastError})` : ''}`).join(', ')}`,
          fix: 'a refused config is named above; fix the policy it comes from (`trellis history KIND NAME`, `trellis rollback`)',
        },
  );
  const noCert = connected.filter((p) => !p.certificate);
  const behind = connected.filter((p) => p.certificate && p.bundleVersion < overview.bundle.version);
  results.push(
    noCert.length === 0 && behind.length === 0
      ? { name: 'proxy certificates', status: 'ok', detail: `every connected proxy holds a certificate and trusts bundle version ${overview.bundle.version}` }
      : {
          name: 'proxy certificates',
          status: rotation.phase === 'idle' ? 'fail' : 'warn',
          detail: [
            noCert.length ? `no certificate: ${noCert.map((p) => p.instance).join(', ')}` : '',
            behind.length ? `not on trust bundle ${overview.bundle.version}: ${behind.map((p) => `${p.instance} (${p.bundleVersion})`).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
          fix: 'restart those proxies, or give them a new join token (`trellis token create --service NAME`)',
        },
  );
  results.push(
    overview.expiring.length === 0
      ? { name: 'certificate expiry', status: 'ok', detail: 'no certificate is close to expiry' }
      : {
          name: 'certificate expiry',
          status: overview.expiring.some((c) => new Date(c.notAfter).getTime() <= now) ? 'fail' : 'warn',
          detail: `not renewed yet: ${overview.expiring.map((c) => `${c.instance} (${c.notAfter})`).join(', ')}`,
          fix: 'proxies renew at two thirds of a certificate\'s life; one that does not is cut off from the control plane: check its log',
        },
  );
  const skews = connected.filter((p) => p.clockSkewMs !== null && Math.abs(p.clockSkewMs) > SKEW_WARN_MS);
  const worst = Math.max(0, ...skews.map((p) => Math.abs(p.clockSkewMs ?? 0)));
  results.push(
    skews.length === 0
      ? { name: 'clock skew', status: 'ok', detail: `every proxy within ${SKEW_WARN_MS / 1000} s of the control plane` }
      : {
          name: 'clock skew',
          status: worst > SKEW_FAIL_MS ? 'fail' : 'warn',
          detail: skews.map((p) => `${p.instance} ${((p.clockSkewMs ?? 0) / 1000).toFixed(1)} s`).join(', '),
          fix: 'run NTP (chrony, systemd-timesyncd) on those hosts: certificates are dated 5 minutes back, more skew than that breaks mTLS',
        },
  );
  return results;
}

/** Prints results, one line each with what to do under a failure; returns how many failed. */
function printChecks(results: CheckResult[]): number {
  for (const r of results) {
    process.stdout.write(`${r.status === 'ok' ? '✓' : r.status === 'warn' ? '!' : '✗'} ${r.name}: ${r.detail}\n`);
    if (r.status !== 'ok' && r.fix) process.stdout.write(`    → ${r.fix}\n`);
  }
  return results.filter((r) => r.status === 'fail').length;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('check', argv, {
    server: { type: 'string' },
    kubernetes: { type: 'boolean' },
    pre: { type: 'boolean' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`usage: ${USAGE}\n\nChecks the control plane, the mesh CA and its trust bundle, the proxies (in sync, certificates, bundle, clock skew).\nWith --kubernetes, first the cluster: API and version, this machine's clock against the API server's, CRDs installed and current, the control plane Deployment\nready, the sidecar injector's caBundle and certificate; --pre (before install) only the API.\nEach failed check says what to do; exit 1 when one fails.\n`);
    return 0;
  }
  let clusterFailed = 0;
  if (values.kubernetes) {
    const { clusterChecks } = await import('@trellis/control-plane/kubernetes/checks');
    const server = values.server ?? cliEnv.server ?? 'http://127.0.0.1:7400';
    const cluster = await clusterChecks({ kubeconfig: values.kubeconfig, namespace: values.namespace ?? 'trellis-system', controlPlaneUrl: server, pre: values.pre ?? false });
    clusterFailed = printChecks(cluster);
    const failed = clusterFailed;
    if (values.pre || cluster.some((c) => c.name === 'Kubernetes API' && c.status === 'fail')) {
      process.stdout.write(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
      return failed ? 1 : 0;
    }
  }
  const { client, url } = controlPlaneClient(values.server);
  const ready = await fetch(`${url}/readyz`).then(
    (r) => r.status,
    () => 0,
  );
  if (ready !== 200) {
    process.stdout.write(`✗ control plane: ${ready === 0 ? `nothing answers at ${url}` : `${url} is not ready (${ready})`}\n    → start it with \`trellis control-plane\`, or pass --server\n`);
    return 1;
  }
  process.stdout.write(`✓ control plane: ready at ${url}\n`);
  let results: CheckResult[];
  try {
    results = await meshChecks(client);
  } catch (err) {
    throw err instanceof CliError ? err : explain(err, url);
  }
  const failed = printChecks(results) + clusterFailed;
  process.stdout.write(failed ? `${failed} check(s) failed\n` : 'all checks passed\n');
  return failed ? 1 : 0;
}
