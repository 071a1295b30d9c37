import { parseAllDocuments } from 'yaml';
import {
  InjectionError,
  injectPodTemplate,
  isWorkloadKind,
  podTemplateOf,
  uninjectPodTemplate,
  withPodTemplate,
  type InjectionConfig,
  type Workload,
} from '@trellis/control-plane/kubernetes';
import { parseCommandArgs } from '../args.ts';
import { cliEnv } from '../env.ts';
import { CliError } from '../errors.ts';
import { readManifest } from '../manifest.ts';
import { toYaml } from '../kubernetes/deploy-files.ts';
import { controlPlaneHost, CONTROL_PLANE_PORT, DEFAULT_IMAGE, DEFAULT_INSTALL_NAMESPACE } from '../kubernetes/install-manifests.ts';
import { readFile } from 'node:fs/promises';

const USAGE = 'trellis inject -f FILE|- [--image IMAGE] [--control-plane-url URL] [--ca-file ROOTS.pem | --server URL]   | kubectl apply -f -';
const UNINJECT_USAGE = 'trellis uninject -f FILE|-';

const HELP = `${USAGE}

Adds the Trellis proxy (a sidecar container, an iptables init container, a projected ServiceAccount token)
to every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob in a YAML stream (Lists
too), with the same function the control plane's admission webhook uses; other objects pass through.
A pod annotated trellis.dev/inject: disabled is left alone; injecting twice changes nothing.

  --image IMAGE            the proxy image (default ${DEFAULT_IMAGE}; the same as \`trellis install --image\`)
  --control-plane-url URL  where the proxies reach the control plane
                           (default https://${controlPlaneHost(DEFAULT_INSTALL_NAMESPACE)}:${CONTROL_PLANE_PORT})
  --ca-file ROOTS.pem      the mesh roots the proxies start with; without it they are fetched from the
                           control plane at --server (TRELLIS_SERVER, default http://127.0.0.1:7400)`;

/** One object of the stream with `edit` applied to its pod template; a List's items each in turn. */
function mapWorkloads(object: unknown, edit: (w: Workload) => Workload, where: string): unknown {
  if (!object || typeof object !== 'object') return object;
  const o = object as Workload & { items?: unknown[] };
  if (o.kind === 'List' || (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items))) {
    return { ...o, items: (o.items ?? []).map((item, i) => mapWorkloads(item, edit, `${where}: items[${i}]`)) };
  }
  if (!isWorkloadKind(o.kind)) return object;
  try {
    return edit(o);
  } catch (err) {
    throw new CliError(`${where}: ${(err as Error).message}`, 1);
  }
}

/** Every document of a YAML stream, refused as a whole when one does not parse (nothing is printed). */
function parseStream(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const values: unknown[] = [];
  list.forEach((doc, i) => {
    const [error] = doc.errors;
    if (error) throw new CliError(`${file}: document ${i + 1}: YAML: ${error.message.split('\n')[0]}`, 1);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  });
  return values;
}

/** The roots from --ca-file, else from the control plane's public trust bundle. */
async function trustRoots(caFile: string | undefined, server: string | undefined): Promise<string> {
  if (caFile !== undefined) {
    const text = await readFile(caFile, 'utf8').catch((err: Error) => {
      throw new CliError(`--ca-file ${caFile}: ${err.message}`, 2);
    });
    const roots = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (!roots) throw new CliError(`--ca-file ${caFile} holds no PEM certificate`, 2);
    return roots.join('\n');
  }
  const base = (server ?? cliEnv.server ?? 'http://127.0.0.1:7400').replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/v1/trust-bundle`);
    const bundle = (await res.json()) as { roots?: string[] };
    if (!res.ok || !bundle.roots?.length) throw new Error(`answered ${res.status}`);
    return bundle.roots.join('\n');
  } catch (err) {
    throw new CliError(`the mesh roots: ${base}/v1/trust-bundle could not be read (${(err as Error).message}); pass --ca-file ROOTS.pem or --server URL`, 1);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('inject', argv, {
    filename: { type: 'string', short: 'f' },
    image: { type: 'string' },
    'control-plane-url': { type: 'string' },
    'ca-file': { type: 'string' },
    server: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`usage: ${HELP}\n`);
    return 0;
  }
  if (!values.filename) throw new CliError(`trellis inject: -f FILE is required (- for stdin)\nusage: ${USAGE}`, 2);
  const url = values['control-plane-url'] ?? `https://${controlPlaneHost(DEFAULT_INSTALL_NAMESPACE)}:${CONTROL_PLANE_PORT}`;
  if (!URL.canParse(url) || new URL(url).protocol !== 'https:') throw new CliError(`--control-plane-url: "${url}" is not an https:// URL`, 2);
  const text = await readManifest(values.filename).catch((err: Error) => {
    throw new CliError(`-f ${values.filename}: ${err.message}`, 2);
  });
  const objects = parseStream(text, values.filename);
  const config: InjectionConfig = { image: values.image ?? DEFAULT_IMAGE, controlPlaneUrl: url, trustRoots: await trustRoots(values['ca-file'], values.server) };
  const out = objects.map((o, i) =>
    mapWorkloads(o, (w) => {
      const template = podTemplateOf(w);
      if (!template) return w;
      const workloadName = w.kind === 'Pod' ? undefined : w.metadata?.name;
      try {
        const { pod } = injectPodTemplate(template, config, { namespaceEnabled: true, ...(workloadName ? { workloadName } : {}) });
        return withPodTemplate(w, pod);
      } catch (err) {
        if (err instanceof InjectionError) throw new Error(`${w.kind} ${w.metadata?.name ?? ''}: ${err.message}`);
        throw err;
      }
    }, `${values.filename}: document ${i + 1}`),
  );
  process.stdout.write(toYaml(out));
  return 0;
}

/** `trellis uninject`: the same stream without what inject added. */
export async function runUninject(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('uninject', argv, { filename: { type: 'string', short: 'f' } }, UNINJECT_USAGE);
  if (!values.filename) throw new CliError(`trellis uninject: -f FILE is required (- for stdin)\nusage: ${UNINJECT_USAGE}`, 2);
  const text = await readManifest(values.filename).catch((err: Error) => {
    throw new CliError(`-f ${values.filename}: ${err.message}`, 2);
  });
  const out = parseStream(text, values.filename).map((o, i) =>
    mapWorkloads(o, (w) => {
      const template = podTemplateOf(w);
      return template ? withPodTemplate(w, uninjectPodTemplate(template)) : w;
    }, `${values.filename}: document ${i + 1}`),
  );
  process.stdout.write(toYaml(out));
  return 0;
}
