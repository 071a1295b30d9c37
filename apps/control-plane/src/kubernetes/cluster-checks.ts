import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { AdmissionregistrationV1Api, ApiextensionsV1Api, AppsV1Api, VersionApi } from '@kubernetes/client-node';
import { customResourceDefinitions } from './crds.ts';
import { apiMessage, apiStatus, loadKubeConfig } from './kubeconfig.ts';

// `trellis check --kubernetes`: what linkerd check looks at, against the cluster's API. Each failing
// check says what to do. Loaded only by that command (it brings @kubernetes/client-node).

export interface ClusterCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export interface ClusterCheckOptions {
  kubeconfig?: string | undefined;
  namespace: string;
  /** The control plane's URL as this machine reaches it (port-forward or in-cluster), for the webhook's certificate. */
  controlPlaneUrl?: string | undefined;
  /** Before install: only the API and its version. */
  pre?: boolean;
}

const INSTALL = 'trellis install | kubectl apply -f -';
const MIN_MINOR = 26;
/**
 * Clock skew between this machine and the API server: past SKEW_WARN_MS a warning, past SKEW_FAIL_MS a
 * failure (workload certificates are dated 5 minutes back, so more skew than that makes fresh ones "not
 * yet valid"; ServiceAccount tokens and sign-in links expire early or late). The Date header has whole
 * seconds, so a second of skew is within the measurement.
 */
export const SKEW_WARN_MS = 5_000;
export const SKEW_FAIL_MS = 4 * 60_000;

/** The cluster checks in order; later ones are skipped when the API cannot be reached. */
export async function clusterChecks(o: ClusterCheckOptions): Promise<ClusterCheck[]> {
  const kc = loadKubeConfig(o.kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  const results: ClusterCheck[] = [];
  let version;
  let skew: ClusterCheck;
  try {
    const sentAt = Date.now();
    const answer = await kc.makeApiClient(VersionApi).getCodeWithHttpInfo();
    skew = clockSkewCheck(answer.headers.date, (sentAt + Date.now()) / 2);
    version = answer.data;
  } catch (err) {
    return [{ name: 'Kubernetes API', status: 'fail', detail: `${server} cannot be reached: ${apiMessage(err)}`, fix: 'check the kubeconfig context (kubectl config current-context) or pass --kubeconfig FILE' }];
  }
  const minor = Number.parseInt(version.minor, 10);
  results.push(
    minor >= MIN_MINOR
      ? { name: 'Kubernetes API', status: 'ok', detail: `${server} answers, version ${version.gitVersion}` }
      : { name: 'Kubernetes API', status: 'fail', detail: `version ${version.gitVersion} is older than 1.${MIN_MINOR}`, fix: `upgrade the cluster to 1.${MIN_MINOR} or later (projected tokens, AdmissionReview v1, structural CRDs)` },
    skew,
  );
  if (o.pre) return results;

  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const missing: string[] = [];
  const stale: string[] = [];
  for (const crd of customResourceDefinitions()) {
    try {
      const installed = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
      if (installed.metadata?.labels?.['trellis.dev/crd-schema'] !== crd.metadata.labels['trellis.dev/crd-schema']) stale.push(crd.metadata.name);
    } catch (err) {
      if (apiStatus(err) !== 404) return [...results, { name: 'CRDs', status: 'fail', detail: `reading ${crd.metadata.name}: ${apiMessage(err)}`, fix: 'the kubeconfig user needs get on customresourcedefinitions' }];
      missing.push(crd.metadata.name);
    }
  }
  results.push(
    missing.length || stale.length
      ? {
          name: 'CRDs',
          status: 'fail',
          detail: [missing.length ? `not installed: ${missing.join(', ')}` : '', stale.length ? `older than this trellis: ${stale.join(', ')}` : ''].filter(Boolean).join('; '),
          fix: `${INSTALL} (or kubectl apply -f deploy/crds)`,
        }
      : { name: 'CRDs', status: 'ok', detail: `all ${customResourceDefinitions().length} installed and current` },
  );

  try {
    const deployment = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'trellis-control-plane', namespace: o.namespace });
    const ready = deployment.status?.readyReplicas ?? 0;
    results.push(
      ready > 0
        ? { name: 'control plane', status: 'ok', detail: `${ready} of ${deployment.spec?.replicas ?? 1} replicas ready in ${o.namespace}` }
        : { name: 'control plane', status: 'fail', detail: `no replica of ${o.namespace}/trellis-control-plane is ready`, fix: `kubectl -n ${o.namespace} describe deployment trellis-control-plane; kubectl -n ${o.namespace} logs deployment/trellis-control-plane` },
    );
  } catch (err) {
    results.push({ name: 'control plane', status: 'fail', detail: apiStatus(err) === 404 ? `no Deployment trellis-control-plane in ${o.namespace}` : apiMessage(err), fix: INSTALL });
  }

  results.push(await webhookCheck(kc.makeApiClient(AdmissionregistrationV1Api), o));
  return results;
}

/** This machine's clock against the API server's, from the Date header of its answer (`localMs`: when it was made here). */
export function clockSkewCheck(date: string | undefined, localMs: number): ClusterCheck {
  const name = 'clock skew (API server)';
  const serverMs = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(serverMs)) return { name, status: 'warn', detail: `the API server's answer has no usable Date header (${JSON.stringify(date ?? null)})`, fix: 'compare `date -u` here with a node\'s clock by hand' };
  // Date has whole seconds: the server's clock is anywhere in [serverMs, serverMs + 1 s).
  const skewMs = localMs - (serverMs + 500);
  const abs = Math.abs(skewMs);
  const text = `this machine is ${(abs / 1000).toFixed(1)} s ${skewMs > 0 ? 'ahead of' : 'behind'} the API server`;
  const fix = 'run NTP (chrony or systemd-timesyncd) here and on the cluster\'s nodes, then check again';
  if (abs <= SKEW_WARN_MS) return { name, status: 'ok', detail: `within ${SKEW_WARN_MS / 1000} s of the API server (Date header)` };
  if (abs <= SKEW_FAIL_MS) return { name, status: 'warn', detail: `${text}: tokens and sign-in links expire early or late`, fix };
  return { name, status: 'fail', detail: `${text}: certificates are dated 5 minutes back, more skew than that makes new ones not yet valid`, fix };
}

async function webhookCheck(api: AdmissionregistrationV1Api, o: ClusterCheckOptions): Promise<ClusterCheck> {
  const name = 'sidecar injector';
  let caBundle: string | undefined;
  try {
    const config = await api.readMutatingWebhookConfiguration({ name: 'trellis-proxy-injector' });
    caBundle = config.webhooks?.[0]?.clientConfig.caBundle;
  } catch (err) {
    return { name, status: 'fail', detail: apiStatus(err) === 404 ? 'no MutatingWebhookConfiguration trellis-proxy-injector' : apiMessage(err), fix: INSTALL };
  }
  if (!caBundle) return { name, status: 'fail', detail: 'the webhook has no caBundle: the API server cannot trust it', fix: INSTALL };
  let root: X509Certificate;
  try {
    root = new X509Certificate(Buffer.from(caBundle, 'base64'));
  } catch {
    return { name, status: 'fail', detail: 'the webhook\'s caBundle is not a certificate', fix: INSTALL };
  }
  if (new Date(root.validTo).getTime() < Date.now()) return { name, status: 'fail', detail: `the caBundle root expired at ${root.validTo}`, fix: 'install again with a new CA: trellis install | kubectl apply -f -' };
  if (!o.controlPlaneUrl) return { name, status: 'warn', detail: 'configured; its certificate was not checked (no control plane URL)', fix: 'pass --server URL (e.g. after kubectl port-forward) to check the webhook answers' };
  const url = new URL(o.controlPlaneUrl);
  // The API server's view: a TLS connection whose chain ends in the caBundle root.
  const verdict = await new Promise<string | undefined>((resolve) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port || 443), ca: [root.toString()], servername: url.hostname, checkServerIdentity: () => undefined }, () => {
      socket.end();
      resolve(undefined);
    });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve('no answer in 5 s');
    });
    socket.on('error', (err) => resolve(err.message));
  });
  return verdict === undefined
    ? { name, status: 'ok', detail: `answers at ${url.host} with a certificate the caBundle root (valid until ${root.validTo}) vouches for` }
    : { name, status: 'fail', detail: `${url.host}: ${verdict}`, fix: 'the Secret trellis-ca and the webhook\'s caBundle must come from the same install: trellis install | kubectl apply -f -' };
}
