import path from 'node:path';
import { DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startControlPlane } from '@trellis/control-plane';
import { isTrustDomain, parseDuration, parseLifetime } from '@trellis/shared';
import { parseCommandArgs, parsePort } from '../args.ts';
import { cliEnv } from '../env.ts';
import { CliError } from '../errors.ts';

const USAGE =
  'trellis control-plane [--port 7400] [--host 127.0.0.1] [--data-dir .trellis/data] [--database-url postgres://...] [--redis-url redis://...]\n' +
  '                      [--trace-sampling 1] [--span-retention 24h] [--max-spans 200000] [--otlp-endpoint http://collector:4318] [--endpoint-grace 10000]\n' +
  '                      [--max-body-bytes 1048576] [--kubernetes [--kubeconfig FILE]]\n' +
  '                      [--trust-domain trellis.local] [--cert-ttl 24h] [--ca-cert FILE --ca-key FILE] [--tls-san NAME ...]';

const HELP = `${USAGE}

Without --database-url (or DATABASE_URL) the embedded PGlite database in --data-dir (TRELLIS_DATA_DIR) is used.
--max-body-bytes: the largest API request body (and tRPC WebSocket message) accepted; larger gets 413 (default ${DEFAULT_MAX_BODY_BYTES}, 1 MiB).

Identity: the control plane runs the mesh CA. On first start it makes a root and an intermediate (ECDSA
P-256) in <data-dir>/ca (keys 0600), or uses the intermediate you bring:
  --ca-cert FILE     intermediate certificate (PEM), optionally followed by its chain up to the root
  --ca-key FILE      its private key (PKCS#8 PEM, ECDSA P-256)
  --trust-domain TD  SPIFFE trust domain of workload identities (default trellis.local)
  --cert-ttl 24h     lifetime of workload certificates (proxies renew at two thirds; at least 5s)
  --tls-san NAME     another name or address proxies reach this control plane by (repeatable)`;

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
    kubeconfig: { type: 'string' },
    'span-retention': { type: 'string' },
    'max-spans': { type: 'string' },
    'trust-domain': { type: 'string' },
    'cert-ttl': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    'tls-san': { type: 'string', multiple: true },
    'max-body-bytes': { type: 'string' },
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
  const log = (line: string) => process.stdout.write(`[control-plane] ${line}\n`);
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
      ...(trustDomain !== undefined ? { trustDomain } : {}),
      ...(certTtl !== undefined ? { certTtlMs: certTtl } : {}),
      ...(values['ca-cert'] !== undefined && values['ca-key'] !== undefined ? { ca: { certFile: path.resolve(values['ca-cert']), keyFile: path.resolve(values['ca-key']) } } : {}),
      ...(values['tls-san'] ? { tlsHosts: values['tls-san'] } : {}),
      log,
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
