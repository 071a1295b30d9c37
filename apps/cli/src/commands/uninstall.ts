import { dnsLabel } from '@trellis/shared';
import { parseCommandArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import { toYaml } from '../kubernetes/deploy-files.ts';
import { DEFAULT_INSTALL_NAMESPACE, uninstallManifests } from '../kubernetes/install-manifests.ts';

const USAGE = 'trellis uninstall [--namespace trellis-system]   | kubectl delete --ignore-not-found -f -';

/** Prints what `trellis install` created, by name, for kubectl delete (the CRDs, and so every custom resource, too). */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('uninstall', argv, { namespace: { type: 'string' } }, USAGE);
  const namespace = values.namespace ?? DEFAULT_INSTALL_NAMESPACE;
  if (!dnsLabel.safeParse(namespace).success) throw new CliError(`--namespace: "${namespace}" is not a namespace name`, 2);
  process.stdout.write(toYaml(uninstallManifests(namespace)));
  return Promise.resolve(0);
}
