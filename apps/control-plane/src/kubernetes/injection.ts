// Sidecar injection: one pure function that adds the proxy to a pod spec, used by the admission webhook
// (admission-webhook.ts) and by `trellis inject` on YAML files, so both give the same result. Injecting
// an injected pod changes nothing; `uninject` takes out exactly what `inject` put in.

/** The annotation (or namespace label) that opts in ("enabled") or out ("disabled"). */
export const INJECT_ANNOTATION = 'trellis.dev/inject';
/** Set on an injected pod: the proxy image it got, so an upgrade can tell old pods. */
export const INJECTED_ANNOTATION = 'trellis.dev/injected';
/** Optional pod annotations that override what injection would guess. */
export const SERVICE_ANNOTATION = 'trellis.dev/service';
export const APP_PORT_ANNOTATION = 'trellis.dev/app-port';
export const OUTBOUND_PORTS_ANNOTATION = 'trellis.dev/outbound-ports';

export const PROXY_CONTAINER = 'trellis-proxy';
export const INIT_CONTAINER = 'trellis-init';
export const TOKEN_VOLUME = 'trellis-token';
export const DATA_VOLUME = 'trellis-data';
/** The proxy's user id: the init container's iptables rules let this user's traffic out untouched. */
export const PROXY_UID = 2102;
export const PROXY_PORTS = { inbound: 15006, outbound: 15001, admin: 15000 } as const;
const TOKEN_DIR = '/var/run/secrets/trellis';
const DATA_DIR = '/var/run/trellis';
/** The audience of the projected ServiceAccount token (the control plane asks TokenReview for it). */
export const TOKEN_AUDIENCE = 'trellis';

/** What injection needs to know about the mesh. */
export interface InjectionConfig {
  /** The image with the trellis command (and iptables, for the init container). */
  image: string;
  /** Where proxies stream config from, e.g. https://trellis-control-plane.trellis-system.svc:7400. */
  controlPlaneUrl: string;
  /** The mesh's roots (PEM), which the proxy trusts for the control plane before its first trust bundle. */
  trustRoots: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

// Loose Kubernetes shapes: only the fields injection reads or writes are named; the rest passes through.
export interface Container {
  name: string;
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  [key: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; [key: string]: unknown }[];
  [key: string]: unknown;
}
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}
export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** Why a pod was or was not injected. */
export type InjectDecision = { inject: true } | { inject: false; reason: string };

/**
 * Whether a pod gets a proxy: its own annotation decides first ("disabled" opts out, "enabled" in), then
 * its namespace's label (the webhook knows it from which of its two hooks was called).
 */
export function shouldInject(pod: PodTemplate, namespaceEnabled: boolean): InjectDecision {
  const annotation = pod.metadata?.annotations?.[INJECT_ANNOTATION];
  if (hasProxy(pod.spec)) return { inject: false, reason: 'already injected' };
  if (pod.spec.hostNetwork === true) return { inject: false, reason: 'the pod uses the host network: iptables rules would redirect the node\'s traffic' };
  if (annotation === 'disabled') return { inject: false, reason: `annotation ${INJECT_ANNOTATION}: disabled` };
  if (annotation === 'enabled' || namespaceEnabled) return { inject: true };
  return { inject: false, reason: `neither the pod's annotation nor its namespace's label ${INJECT_ANNOTATION} is "enabled"` };
}

export function hasProxy(spec: PodSpec): boolean {
  return spec.containers.some((c) => c.name === PROXY_CONTAINER);
}

/** The service a pod belongs to: its annotation, else the usual labels, else the workload's name. */
export function serviceOf(pod: PodTemplate, workloadName: string | undefined): string {
  const meta = pod.metadata ?? {};
  const name = meta.annotations?.[SERVICE_ANNOTATION] ?? meta.labels?.['app.kubernetes.io/name'] ?? meta.labels?.app ?? workloadName ?? meta.generateName?.replace(/-$/, '') ?? meta.name;
  if (!name) throw new InjectionError(`metadata.annotations["${SERVICE_ANNOTATION}"]: the pod has no name, app label or service annotation to take its service from`);
  return name;
}

/** The port the app listens on: its annotation, else the first port a container declares; none means outbound only. */
export function appPortOf(pod: PodTemplate): number | undefined {
  const text = pod.metadata?.annotations?.[APP_PORT_ANNOTATION];
  if (text !== undefined) {
    const port = Number(text);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InjectionError(`metadata.annotations["${APP_PORT_ANNOTATION}"]: "${text}" is not a port (1-65535)`);
    return port;
  }
  return pod.spec.containers.flatMap((c) => c.ports ?? []).find((p) => (p.protocol ?? 'TCP') === 'TCP')?.containerPort;
}

/** The destination ports whose outbound traffic goes through the proxy (HTTP, routed by its Host header). */
export function outboundPortsOf(pod: PodTemplate): number[] {
  const text = pod.metadata?.annotations?.[OUTBOUND_PORTS_ANNOTATION] ?? '80';
  const ports = text.split(',').map((p) => Number(p.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new InjectionError(`metadata.annotations["${OUTBOUND_PORTS_ANNOTATION}"]: "${text}" is not a comma-separated list of ports`);
  }
  return ports;
}

/** A pod that cannot be injected as written; the message names the field. */
export class InjectionError extends Error {}

/**
 * The pod template with the proxy added, or the same object when the decision is not to inject. Pure: the
 * input is not changed.
 */
export function injectPodTemplate<T extends PodTemplate>(pod: T, config: InjectionConfig, options: { workloadName?: string; namespaceEnabled: boolean }): { pod: T; decision: InjectDecision } {
  const decision = shouldInject(pod, options.namespaceEnabled);
  if (!decision.inject) return { pod, decision };
  const service = serviceOf(pod, options.workloadName);
  const appPort = appPortOf(pod);
  const outboundPorts = outboundPortsOf(pod);
  const spec = pod.spec;
  const injected: T = {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [INJECTED_ANNOTATION]: config.image } },
    spec: {
      ...spec,
      initContainers: [initContainer(config, appPort, outboundPorts), ...(spec.initContainers ?? [])],
      // The proxy first: Kubernetes starts containers in order, so the app's first requests find it.
      containers: [proxyContainer(config, service, appPort), ...spec.containers],
      volumes: [...(spec.volumes ?? []), ...proxyVolumes()],
    },
  };
  return { pod: injected, decision };
}

/** The pod template without what injection added. */
export function uninjectPodTemplate<T extends PodTemplate>(pod: T): T {
  if (!hasProxy(pod.spec)) return pod;
  const annotations = Object.fromEntries(Object.entries(pod.metadata?.annotations ?? {}).filter(([k]) => k !== INJECTED_ANNOTATION));
  const { annotations: _dropped, ...meta } = pod.metadata ?? {};
  const initContainers = (pod.spec.initContainers ?? []).filter((c) => c.name !== INIT_CONTAINER);
  const volumes = (pod.spec.volumes ?? []).filter((v) => v.name !== TOKEN_VOLUME && v.name !== DATA_VOLUME);
  const { initContainers: _i, volumes: _v, ...spec } = pod.spec;
  return {
    ...pod,
    metadata: { ...meta, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      ...spec,
      ...(initContainers.length ? { initContainers } : {}),
      containers: pod.spec.containers.filter((c) => c.name !== PROXY_CONTAINER),
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

function proxyContainer(config: InjectionConfig, service: string, appPort: number | undefined): Container {
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: PROXY_CONTAINER,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy ?? 'IfNotPresent',
    args: [
      'proxy',
      '--service', service,
      '--namespace', '$(TRELLIS_NAMESPACE)',
      '--instance', '$(TRELLIS_POD_NAME)',
      ...(appPort !== undefined ? ['--app-port', String(appPort)] : []),
      '--inbound-port', String(PROXY_PORTS.inbound),
      '--outbound-port', String(PROXY_PORTS.outbound),
      '--admin-port', String(PROXY_PORTS.admin),
      // Other proxies reach this one at the pod's IP; the kubelet probes the admin port there too.
      '--address', '$(TRELLIS_POD_IP)',
      '--admin-address', '0.0.0.0',
      '--control-plane', config.controlPlaneUrl,
      '--service-account-token-file', `${TOKEN_DIR}/token`,
      '--data-dir', `${DATA_DIR}/data`,
    ],
    env: [
      { name: 'TRELLIS_POD_NAME', ...fieldRef('metadata.name') },
      { name: 'TRELLIS_NAMESPACE', ...fieldRef('metadata.namespace') },
      { name: 'TRELLIS_POD_IP', ...fieldRef('status.podIP') },
      { name: 'TRELLIS_NODE_NAME', ...fieldRef('spec.nodeName') },
      { name: 'TRELLIS_SERVICE_ACCOUNT', ...fieldRef('spec.serviceAccountName') },
      // The mesh roots: the proxy trusts the control plane with them before it has its first trust bundle.
      { name: 'TRELLIS_CA_ROOTS', value: config.trustRoots },
    ],
    ports: [
      { name: 'trellis-inbound', containerPort: PROXY_PORTS.inbound, protocol: 'TCP' },
      { name: 'trellis-admin', containerPort: PROXY_PORTS.admin, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/ready', port: PROXY_PORTS.admin }, periodSeconds: 2, failureThreshold: 3 },
    // Alive while the admin port answers: /ready is 503 while the control plane is away, which must not restart it.
    livenessProbe: { tcpSocket: { port: PROXY_PORTS.admin }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      { name: DATA_VOLUME, mountPath: DATA_DIR },
    ],
  };
}

/**
 * The iptables rules (nat table) the init container installs. Inbound: TCP to the app's port goes to the
 * proxy's inbound listener. Outbound: TCP from the app to the HTTP ports goes to the outbound listener,
 * which routes by the Host header (Node cannot read SO_ORIGINAL_DST, so the original address is not
 * used). The proxy's own traffic (its user id) and loopback pass untouched.
 */
export function iptablesScript(appPort: number | undefined, outboundPorts: number[]): string {
  const nat = 'iptables -t nat';
  const lines = [
    'set -e',
    // Re-run safe: an init container runs again when the pod's sandbox is recreated.
    `${nat} -N TRELLIS_INBOUND 2>/dev/null || ${nat} -F TRELLIS_INBOUND`,
    `${nat} -N TRELLIS_OUTBOUND 2>/dev/null || ${nat} -F TRELLIS_OUTBOUND`,
    `${nat} -C PREROUTING -p tcp -j TRELLIS_INBOUND 2>/dev/null || ${nat} -A PREROUTING -p tcp -j TRELLIS_INBOUND`,
    `${nat} -C OUTPUT -p tcp -j TRELLIS_OUTBOUND 2>/dev/null || ${nat} -A OUTPUT -p tcp -j TRELLIS_OUTBOUND`,
  ];
  if (appPort !== undefined) lines.push(`${nat} -A TRELLIS_INBOUND -p tcp --dport ${appPort} -j REDIRECT --to-ports ${PROXY_PORTS.inbound}`);
  lines.push(
    `${nat} -A TRELLIS_OUTBOUND -m owner --uid-owner ${PROXY_UID} -j RETURN`,
    `${nat} -A TRELLIS_OUTBOUND -o lo -j RETURN`,
    ...outboundPorts.map((port) => `${nat} -A TRELLIS_OUTBOUND -p tcp --dport ${port} -j REDIRECT --to-ports ${PROXY_PORTS.outbound}`),
  );
  return lines.join('\n');
}

function initContainer(config: InjectionConfig, appPort: number | undefined, outboundPorts: number[]): Container {
  return {
    name: INIT_CONTAINER,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy ?? 'IfNotPresent',
    command: ['sh', '-c', iptablesScript(appPort, outboundPorts)],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    // Root with NET_ADMIN and NET_RAW only, for iptables in the pod's own network namespace.
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] },
    },
  };
}

function proxyVolumes(): { name: string; [key: string]: unknown }[] {
  return [
    {
      name: TOKEN_VOLUME,
      // A token only the control plane accepts (audience "trellis"), renewed by the kubelet before it expires.
      projected: { sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: 3600, path: 'token' } }] },
    },
    { name: DATA_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
  ];
}
