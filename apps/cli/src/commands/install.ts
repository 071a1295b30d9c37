import { readFile } from 'node:fs/promises';
import { createInstallCa, type InstallCa } from '@trellis/control-plane/kubernetes';
import { DEFAULT_TRUST_DOMAIN, dnsLabel, isTrustDomain } from '@trellis/shared';
import { parseCommandArgs, parseProcessCount } from '../args.ts';
import { CliError } from '../errors.ts';
import { toYaml } from '../kubernetes/deploy-files.ts';
import { DEFAULT_IMAGE, DEFAULT_INSTALL_NAMESPACE, installManifests } from '../kubernetes/install-manifests.ts';

const USAGE = 'trellis install [--namespace trellis-system] [--node-agent [--node-agent-workers N]] [--database-url-secret NAME] [--image IMAGE]\n' +
  '                       [--trust-domain trellis.local] [--ca-cert FILE --ca-key FILE]   | kubectl apply -f -';

const HELP = `${USAGE}

Prints the manifests that install Trellis in a Kubernetes cluster: its namespace, the CRDs, the control
plane (Deployment, Service, ServiceAccount, least-privilege RBAC), the mesh CA as a Secret, the sidecar
injector (MutatingWebhookConfiguration) and, with --node-agent, the node-agent DaemonSet.

  --database-url-secret NAME  a Secret in the namespace with key DATABASE_URL (Postgres); without it the
                              control plane keeps its state in the embedded PGlite of its pod, lost with it
  --ca-cert FILE --ca-key FILE  the intermediate (then its chain up to the root) and its key to sign with;
                              without them a new root and intermediate are made on every run
  --image IMAGE               the image with the trellis command (default ${DEFAULT_IMAGE})
  --node-agent-workers N      processes serving each node agent's listeners (trellis proxy --workers; default 1):
                              for nodes where one core does not carry the node's traffic; ~90 MB each

See docs/KUBERNETES.md. \`trellis uninstall | kubectl delete -f -\` removes it.`;

/** The CA to install: the operator's files, or a new one. */
async function installCa(certFile: string | undefined, keyFile: string | undefined, trustDomain: string): Promise<InstallCa> {
  if (certFile === undefined && keyFile === undefined) return createInstallCa(trustDomain);
  if (certFile === undefined || keyFile === undefined) throw new CliError('--ca-cert and --ca-key go together: the intermediate (with its chain up to the root) and its key', 2);
  const read = (file: string, flag: string) => readFile(file, 'utf8').catch((err: Error) => {
    throw new CliError(`${flag} ${file}: ${err.message}`, 2);
  });
  const [chain, key] = await Promise.all([read(certFile, '--ca-cert'), read(keyFile, '--ca-key')]);
  const certs = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const root = certs[certs.length - 1];
  if (!root) throw new CliError(`--ca-cert ${certFile} holds no PEM certificate`, 2);
  if (!/-----BEGIN PRIVATE KEY-----/.test(key)) throw new CliError(`--ca-key ${keyFile} holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)`, 2);
  return { root, chain, key };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('install', argv, {
    namespace: { type: 'string' },
    'node-agent': { type: 'boolean' },
    'node-agent-workers': { type: 'string' },
    'database-url-secret': { type: 'string' },
    image: { type: 'string' },
    'trust-domain': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`usage: ${HELP}\n`);
    return 0;
  }
  const namespace = values.namespace ?? DEFAULT_INSTALL_NAMESPACE;
  if (!dnsLabel.safeParse(namespace).success) throw new CliError(`--namespace: "${namespace}" is not a namespace name (lowercase letters, digits and "-")`, 2);
  const secret = values['database-url-secret'];
  if (secret !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secret)) throw new CliError(`--database-url-secret: "${secret}" is not a Secret name`, 2);
  const trustDomain = values['trust-domain'] ?? DEFAULT_TRUST_DOMAIN;
  if (!isTrustDomain(trustDomain)) throw new CliError(`--trust-domain: "${trustDomain}" is not a trust domain (lowercase letters, digits, "-" and ".")`, 2);
  const ca = await installCa(values['ca-cert'], values['ca-key'], trustDomain);
  const workersFlag = values['node-agent-workers'];
  const nodeAgentWorkers = parseProcessCount(workersFlag, '--node-agent-workers');
  if (workersFlag !== undefined && !values['node-agent']) throw new CliError('--node-agent-workers goes with --node-agent', 2);
  const manifests = installManifests({ namespace, image: values.image ?? DEFAULT_IMAGE, ca, trustDomain, databaseUrlSecret: secret, nodeAgent: values['node-agent'] ?? false, nodeAgentWorkers });
  process.stdout.write(toYaml(manifests));
  return 0;
}
