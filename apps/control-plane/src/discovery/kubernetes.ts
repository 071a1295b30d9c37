import {
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  type Informer,
  type ObjectCache,
  type V1EndpointSlice,
  type V1Pod,
} from '@kubernetes/client-node';
import type { DiscoveredEndpoint, EndpointRegistry } from './registry.ts';

export interface KubernetesDiscoveryOptions {
  /** A kubeconfig file; without it, the usual places (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string | undefined;
  log?: (line: string) => void;
  /** Wait before re-listing after a watch fails. */
  retryMs?: number;
}

const SERVICE_LABEL = 'kubernetes.io/service-name';

/**
 * Kubernetes as a discovery source: EndpointSlices give each Service's ready endpoints, and the Pods they
 * point at give the labels (version=v2) that TrafficSplit subsets select. Uses list+watch informers, so
 * the registry follows the cluster without polling.
 */
export async function startKubernetesDiscovery(registry: EndpointRegistry, options: KubernetesDiscoveryOptions = {}) {
  const kc = new KubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const slices = makeInformer<V1EndpointSlice>(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
    discovery.listEndpointSliceForAllNamespaces(),
  );
  const pods = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
  const log = options.log ?? (() => {});
  const known = new Set<string>();
  let stopped = false;

  const sync = (service: string, namespace: string) => {
    const endpoints = endpointsOf(service, namespace, slices, pods);
    const key = `${service}.${namespace}`;
    if (endpoints.length === 0 && !known.has(key)) return;
    known.add(key);
    registry.replaceSource('kubernetes', service, namespace, endpoints);
  };
  const onSlice = (slice: V1EndpointSlice) => {
    const service = slice.metadata?.labels?.[SERVICE_LABEL];
    if (service && slice.metadata?.namespace) sync(service, slice.metadata.namespace);
  };
  // A pod's labels changing (a new version label) changes the endpoints that point at it.
  const onPod = (pod: V1Pod) => {
    for (const slice of slices.list(pod.metadata?.namespace)) {
      if (slice.endpoints?.some((e) => e.targetRef?.kind === 'Pod' && e.targetRef.name === pod.metadata?.name)) onSlice(slice);
    }
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    slices.on(verb, onSlice);
    pods.on(verb, onPod);
  }
  const restartOnError = (informer: Informer<V1EndpointSlice> | Informer<V1Pod>, what: string) => {
    informer.on('error', (err: unknown) => {
      if (stopped) return;
      log(`kubernetes ${what} watch failed (${(err as Error)?.message ?? String(err)}); retrying`);
      setTimeout(() => {
        if (!stopped) informer.start().catch(() => {});
      }, options.retryMs ?? 5000).unref();
    });
  };
  restartOnError(slices, 'EndpointSlice');
  restartOnError(pods, 'Pod');
  await pods.start();
  await slices.start();
  log(`kubernetes discovery: watching EndpointSlices at ${kc.getCurrentCluster()?.server ?? 'the cluster'}`);
  return {
    stop: async () => {
      stopped = true;
      await slices.stop();
      await pods.stop();
    },
  };
}

/** The ready endpoints of a Service across all its EndpointSlices, labelled from their pods. */
function endpointsOf(
  service: string,
  namespace: string,
  slices: ObjectCache<V1EndpointSlice>,
  pods: ObjectCache<V1Pod>,
): DiscoveredEndpoint[] {
  const out: DiscoveredEndpoint[] = [];
  for (const slice of slices.list(namespace)) {
    if (slice.metadata?.labels?.[SERVICE_LABEL] !== service) continue;
    if (slice.addressType === 'FQDN') continue;
    const port = slice.ports?.find((p) => p.name === 'http') ?? slice.ports?.[0];
    if (!port?.port) continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
      const pod = e.targetRef?.kind === 'Pod' && e.targetRef.name ? pods.get(e.targetRef.name, namespace) : undefined;
      const address = e.addresses[0];
      if (!address) continue;
      out.push({
        service,
        namespace,
        source: 'kubernetes',
        address,
        port: port.port,
        labels: { ...(pod?.metadata?.labels ?? {}) },
        ...(e.zone ? { zone: e.zone } : {}),
        ...(pod?.metadata?.name ? { instance: pod.metadata.name } : {}),
      });
    }
  }
  return out.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
}
