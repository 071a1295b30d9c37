import { ADMISSION_PATHS, INJECT_ANNOTATION, customResourceDefinitions, type InstallCa } from '@trellis/control-plane/kubernetes';

// What `trellis install` prints: everything a cluster needs to run Trellis, in the order `kubectl apply`
// wants it (namespace and CRDs first, the webhook last so it only calls a control plane that exists).

export const DEFAULT_INSTALL_NAMESPACE = 'trellis-system';
export const DEFAULT_IMAGE = 'trellis/trellis:0.1.0';
export const CONTROL_PLANE_NAME = 'trellis-control-plane';
export const WEBHOOK_CONFIGURATION_NAME = 'trellis-proxy-injector';
export const NODE_AGENT_NAME = 'trellis-node-agent';
export const CA_SECRET_NAME = 'trellis-ca';
export const CONTROL_PLANE_PORT = 7400;
const APP_UID = 2103;

export interface InstallOptions {
  namespace: string;
  image: string;
  /** The mesh CA the control plane signs with (kept in a Secret) and whose root the webhook's caller trusts. */
  ca: InstallCa;
  trustDomain: string;
  /** A Secret (in `namespace`) whose key DATABASE_URL points at Postgres; without it the embedded PGlite, lost with the pod. */
  databaseUrlSecret?: string | undefined;
  /** Also the node-agent DaemonSet. */
  nodeAgent?: boolean;
  /** Processes serving the node agent's listeners (`trellis proxy --workers`, default 1). */
  nodeAgentWorkers?: number;
}

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [key: string]: unknown }; [key: string]: unknown };

const LABELS = { 'app.kubernetes.io/part-of': 'trellis', 'app.kubernetes.io/managed-by': 'trellis-install' };

/** The control plane's name in the cluster, which its serving certificate and the proxies use. */
export function controlPlaneHost(namespace: string): string {
  return `${CONTROL_PLANE_NAME}.${namespace}.svc`;
}

/** Every object of an install. */
export function installManifests(o: InstallOptions): Manifest[] {
  const ns = o.namespace;
  const selector = { 'app.kubernetes.io/name': CONTROL_PLANE_NAME };
  const host = controlPlaneHost(ns);
  const manifests: Manifest[] = [
    // The control plane's own namespace is never injected (it would wait for itself).
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...LABELS, [INJECT_ANNOTATION]: 'disabled' } } },
    ...customResourceDefinitions(),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: CONTROL_PLANE_NAME, namespace: ns, labels: LABELS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CONTROL_PLANE_NAME, labels: LABELS },
      rules: [
        // Discovery: endpoints of services, labels of their pods.
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        // Identity: proxies prove who they are with ServiceAccount tokens.
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        // Policy as custom resources: read them, write edits made in the dashboard or CLI, and their status.
        { apiGroups: ['trellis.dev'], resources: customResourceDefinitions().map((c) => c.spec.names.plural), verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: ['trellis.dev'], resources: customResourceDefinitions().map((c) => `${c.spec.names.plural}/status`), verbs: ['get', 'update', 'patch'] },
        // Gateway API routes for the mesh (GAMMA) and their status.
        { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes/status'], verbs: ['get', 'update', 'patch'] },
        // Scale to zero: scale a workload up when a request waits for it.
        { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: CONTROL_PLANE_NAME, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CONTROL_PLANE_NAME },
      subjects: [{ kind: 'ServiceAccount', name: CONTROL_PLANE_NAME, namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: CA_SECRET_NAME, namespace: ns, labels: LABELS },
      type: 'Opaque',
      stringData: { 'ca.crt': o.ca.chain, 'ca.key': o.ca.key },
    },
    controlPlaneDeployment(o, selector, host),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: CONTROL_PLANE_NAME, namespace: ns, labels: LABELS },
      spec: { selector, ports: [{ name: 'api', port: CONTROL_PLANE_PORT, targetPort: 'api', protocol: 'TCP' }] },
    },
  ];
  // Its own ServiceAccount: a proxy joins as the service its ServiceAccount is named after.
  if (o.nodeAgent) manifests.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: NODE_AGENT_NAME, namespace: ns, labels: LABELS } }, nodeAgentDaemonSet(o, host));
  manifests.push(webhookConfiguration(o));
  return manifests;
}

/** A container security context that passes the "restricted" Pod Security Standard. */
const RESTRICTED = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function controlPlaneDeployment(o: InstallOptions, selector: Record<string, string>, host: string): Manifest {
  const env: Record<string, unknown>[] = [];
  if (o.databaseUrlSecret) env.push({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: o.databaseUrlSecret, key: 'DATABASE_URL' } } });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: CONTROL_PLANE_NAME, namespace: o.namespace, labels: { ...LABELS, ...selector } },
    spec: {
      // With Postgres several replicas share the state; PGlite lives in one pod's volume.
      replicas: o.databaseUrlSecret ? 2 : 1,
      ...(o.databaseUrlSecret ? {} : { strategy: { type: 'Recreate' } }),
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...LABELS, ...selector }, annotations: { [INJECT_ANNOTATION]: 'disabled' } },
        spec: {
          serviceAccountName: CONTROL_PLANE_NAME,
          securityContext: { runAsNonRoot: true, runAsUser: APP_UID, runAsGroup: APP_UID, fsGroup: APP_UID, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'control-plane',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: [
                'control-plane',
                '--host', '0.0.0.0',
                '--port', String(CONTROL_PLANE_PORT),
                '--kubernetes',
                '--data-dir', '/var/lib/trellis',
                '--trust-domain', o.trustDomain,
                '--ca-cert', '/etc/trellis/ca/ca.crt',
                '--ca-key', '/etc/trellis/ca/ca.key',
                // The names the webhook's caller and the proxies reach it by: its certificate carries them.
                '--tls-san', host,
                '--tls-san', `${host}.cluster.local`,
                '--proxy-image', o.image,
                '--in-cluster-url', `https://${host}:${CONTROL_PLANE_PORT}`,
              ],
              env,
              ports: [{ name: 'api', containerPort: CONTROL_PLANE_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'api' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'api' }, initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 3 },
              startupProbe: { httpGet: { path: '/healthz', port: 'api' }, periodSeconds: 2, failureThreshold: 60 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: RESTRICTED,
              volumeMounts: [
                { name: 'ca', mountPath: '/etc/trellis/ca', readOnly: true },
                { name: 'data', mountPath: '/var/lib/trellis' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'ca', secret: { secretName: CA_SECRET_NAME, defaultMode: 0o400 } },
            { name: 'data', emptyDir: {} },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

function nodeAgentDaemonSet(o: InstallOptions, host: string): Manifest {
  const workers = o.nodeAgentWorkers ?? 1;
  // With workers, about a core and 90 MB each, and the primary's own ~90 MB (docs/PROXY.md). The limit
  // keeps the single process's 512Mi for the primary and adds 256Mi a worker: (N + 1) * 256Mi left each
  // process half the headroom one process has.
  const resources = workers > 1
    ? { requests: { cpu: `${100 * workers}m`, memory: `${128 * (workers + 1)}Mi` }, limits: { memory: `${512 + 256 * workers}Mi` } }
    : { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };
  const selector = { 'app.kubernetes.io/name': NODE_AGENT_NAME };
  const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: NODE_AGENT_NAME, namespace: o.namespace, labels: { ...LABELS, ...selector } },
    spec: {
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...LABELS, ...selector }, annotations: { [INJECT_ANNOTATION]: 'disabled' } },
        spec: {
          serviceAccountName: NODE_AGENT_NAME,
          // The node's pods reach the agent at their node's IP (status.hostIP) on the outbound port.
          hostNetwork: false,
          securityContext: { runAsNonRoot: true, runAsUser: 2102, runAsGroup: 2102, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'node-agent',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: [
                'proxy',
                '--service', NODE_AGENT_NAME,
                '--namespace', o.namespace,
                '--instance', '$(TRELLIS_POD_NAME)',
                '--address', '$(TRELLIS_POD_IP)',
                '--inbound-port', '15006',
                '--outbound-port', '15001',
                // Pods reach it at hostIP:15001; the hostPort forwards to the pod IP, so it listens there.
                '--outbound-address', '$(TRELLIS_POD_IP)',
                '--admin-port', '15000',
                '--admin-address', '0.0.0.0',
                '--control-plane', `https://${host}:${CONTROL_PLANE_PORT}`,
                '--service-account-token-file', '/var/run/secrets/trellis/token',
                '--data-dir', '/var/run/trellis/data',
                ...(workers > 1 ? ['--workers', String(workers)] : []),
              ],
              env: [
                { name: 'TRELLIS_NODE_NAME', ...fieldRef('spec.nodeName') },
                { name: 'TRELLIS_POD_NAME', ...fieldRef('metadata.name') },
                { name: 'TRELLIS_POD_IP', ...fieldRef('status.podIP') },
                { name: 'TRELLIS_CA_ROOTS', value: o.ca.root },
              ],
              ports: [
                { name: 'outbound', containerPort: 15001, hostPort: 15001, protocol: 'TCP' },
                { name: 'inbound', containerPort: 15006, protocol: 'TCP' },
                { name: 'admin', containerPort: 15000, protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 'admin' }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'admin' }, initialDelaySeconds: 10, periodSeconds: 10 },
              resources,
              securityContext: RESTRICTED,
              volumeMounts: [
                { name: 'trellis-token', mountPath: '/var/run/secrets/trellis', readOnly: true },
                { name: 'trellis-data', mountPath: '/var/run/trellis' },
              ],
            },
          ],
          volumes: [
            { name: 'trellis-token', projected: { sources: [{ serviceAccountToken: { audience: 'trellis', expirationSeconds: 3600, path: 'token' } }] } },
            { name: 'trellis-data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

function webhookConfiguration(o: InstallOptions): Manifest {
  const clientConfig = (path: string) => ({
    service: { name: CONTROL_PLANE_NAME, namespace: o.namespace, path, port: CONTROL_PLANE_PORT },
    caBundle: Buffer.from(o.ca.root).toString('base64'),
  });
  const notSystem = { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', o.namespace] };
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    // Fail: a pod that should be meshed is not started without its proxy (under STRICT mTLS it could reach
    // nothing and would fail quietly); its controller retries once the control plane answers again. The
    // control plane's own namespace is never sent here, so it can always start. docs/KUBERNETES.md.
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    reinvocationPolicy: 'Never',
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: LABELS },
    webhooks: [
      {
        name: 'namespace.inject.trellis.dev',
        clientConfig: clientConfig(ADMISSION_PATHS.namespace),
        namespaceSelector: { matchExpressions: [{ key: INJECT_ANNOTATION, operator: 'In', values: ['enabled'] }, notSystem] },
        ...common,
      },
      {
        name: 'pod.inject.trellis.dev',
        clientConfig: clientConfig(ADMISSION_PATHS.pod),
        namespaceSelector: { matchExpressions: [{ key: INJECT_ANNOTATION, operator: 'NotIn', values: ['enabled', 'disabled'] }, notSystem] },
        // Only pods that ask for it can be injected here, so a control plane that is away blocks nobody else.
        ...common,
        failurePolicy: 'Ignore',
      },
    ],
  };
}

/** What removes an install: the same objects by name, webhook first (so pod creation never waits on it), CRDs last. */
export function uninstallManifests(namespace: string): Manifest[] {
  const ref = (apiVersion: string, kind: string, name: string, ns?: string): Manifest => ({ apiVersion, kind, metadata: { name, ...(ns ? { namespace: ns } : {}) } });
  return [
    ref('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', WEBHOOK_CONFIGURATION_NAME),
    ref('apps/v1', 'DaemonSet', NODE_AGENT_NAME, namespace),
    ref('v1', 'ServiceAccount', NODE_AGENT_NAME, namespace),
    ref('apps/v1', 'Deployment', CONTROL_PLANE_NAME, namespace),
    ref('v1', 'Service', CONTROL_PLANE_NAME, namespace),
    ref('v1', 'Secret', CA_SECRET_NAME, namespace),
    ref('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', CONTROL_PLANE_NAME),
    ref('rbac.authorization.k8s.io/v1', 'ClusterRole', CONTROL_PLANE_NAME),
    ref('v1', 'ServiceAccount', CONTROL_PLANE_NAME, namespace),
    ref('v1', 'Namespace', namespace),
    // Deleting a CRD deletes every custom resource of its kind.
    ...customResourceDefinitions().map((c) => ref('apiextensions.k8s.io/v1', 'CustomResourceDefinition', c.metadata.name)),
  ];
}
