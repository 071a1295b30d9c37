import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createInstallCa, type InstallCa } from '@trellis/control-plane/kubernetes';
import { installManifests, uninstallManifests } from '../src/kubernetes/install-manifests.ts';
import { validateKubernetesObject } from './support/kubernetes-models.ts';
import { trellis } from './support/run.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const find = (all: Obj[], kind: string, name?: string) => all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

describe('trellis install', () => {
  let ca: InstallCa;
  beforeAll(async () => {
    ca = await createInstallCa('trellis.local');
  });

  it('prints manifests that all validate against the Kubernetes schemas, and --node-agent adds the DaemonSet', async () => {
    const { code, stdout, stderr } = await trellis(['install', '--node-agent', '--database-url-secret', 'trellis-db']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
    for (const o of objects) validateKubernetesObject(o);
    expect(objects.map((o) => o.kind).filter((k) => k !== 'CustomResourceDefinition')).toEqual([
      'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Secret', 'Deployment', 'Service', 'ServiceAccount', 'DaemonSet', 'MutatingWebhookConfiguration',
    ]);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toHaveLength(13);
    // Pods reach the node agent at hostIP:15001, forwarded to its pod IP: it listens there, not on loopback.
    const agentArgs = (find(objects, 'DaemonSet') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]?.args.join(' ');
    expect(agentArgs).toContain('--outbound-port 15001 --outbound-address $(TRELLIS_POD_IP)');
    const without = installManifests({ namespace: 'mesh', image: 'img', ca, trustDomain: 'trellis.local' });
    expect(find(without as Obj[], 'DaemonSet')).toBeUndefined();
  });

  it('--node-agent-workers runs the node agent with that many workers and sizes its memory for them', () => {
    const objects = installManifests({ namespace: 'mesh', image: 'img', ca, trustDomain: 'trellis.local', nodeAgent: true, nodeAgentWorkers: 2 }) as Obj[];
    const daemonSet = find(objects, 'DaemonSet');
    if (daemonSet) validateKubernetesObject(daemonSet);
    const [container] = (daemonSet as unknown as { spec: { template: { spec: { containers: Array<{ args: string[]; resources: unknown }> } } } }).spec.template.spec.containers;
    expect(container?.args.join(' ')).toContain('--workers 2');
    expect(container?.resources).toEqual({ requests: { cpu: '200m', memory: '384Mi' }, limits: { memory: '1024Mi' } });
  });

  it('runs the control plane non-root with a read-only root filesystem, probes and resources, and the database URL from the Secret', () => {
    const objects = installManifests({ namespace: 'trellis-system', image: 'trellis/trellis:test', ca, trustDomain: 'trellis.local', databaseUrlSecret: 'trellis-db' }) as Obj[];
    const deployment = find(objects, 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[]; securityContext: Record<string, unknown> } } } };
    const [container] = deployment.spec.template.spec.containers;
    expect(container).toMatchObject({
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      readinessProbe: { httpGet: { path: '/readyz' } },
      livenessProbe: { httpGet: { path: '/healthz' } },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'trellis-db', key: 'DATABASE_URL' } } }],
    });
    expect(container?.args).toEqual(expect.arrayContaining(['--kubernetes', '--tls-san', 'trellis-control-plane.trellis-system.svc']));
    expect(deployment.spec.replicas).toBe(2);
  });

  it('grants least privilege: named resources and verbs, no wildcard, no secrets', () => {
    const role = find(installManifests({ namespace: 'trellis-system', image: 'i', ca, trustDomain: 'trellis.local' }) as Obj[], 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    for (const rule of role.rules) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
      expect(rule.resources).not.toContain('secrets');
    }
    expect(role.rules).toContainEqual({ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] });
  });

  it('points the webhook at the control plane with the mesh root as caBundle, Fail for labelled namespaces, never the system ones', () => {
    const objects = installManifests({ namespace: 'trellis-system', image: 'i', ca, trustDomain: 'trellis.local' }) as Obj[];
    const webhook = find(objects, 'MutatingWebhookConfiguration') as unknown as { webhooks: { name: string; failurePolicy: string; clientConfig: { caBundle: string; service: { name: string; path: string } }; namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] } }[] };
    const [byNamespace, byPod] = webhook.webhooks;
    const bundle = new X509Certificate(Buffer.from(byNamespace?.clientConfig.caBundle ?? '', 'base64').toString());
    // The chain the control plane signs with ends in that root.
    const [intermediate] = ca.chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(new X509Certificate(intermediate ?? '').checkIssued(bundle)).toBe(true);
    expect(byNamespace).toMatchObject({ failurePolicy: 'Fail', clientConfig: { service: { name: 'trellis-control-plane', path: '/v1/admission/inject/namespace' } } });
    expect(byPod).toMatchObject({ failurePolicy: 'Ignore', clientConfig: { service: { path: '/v1/admission/inject/pod' } } });
    for (const hook of webhook.webhooks) expect(hook.namespaceSelector.matchExpressions).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease', 'trellis-system'] });
  });

  it('refuses a bad flag value naming the flag, and prints nothing', async () => {
    const bad = await trellis(['install', '--namespace', 'Not_A_Name']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--namespace: "Not_A_Name" is not a namespace name');
    const half = await trellis(['install', '--ca-cert', '/nonexistent']);
    expect(half.stderr).toContain('--ca-cert and --ca-key go together');
    const workers = await trellis(['install', '--node-agent', '--node-agent-workers', '65']);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain('--node-agent-workers: "65" is not a number of processes (1 to 64)');
  });

  it('uninstall names every object install made, webhook first and CRDs last', async () => {
    const { code, stdout } = await trellis(['uninstall']);
    expect(code).toBe(0);
    const names = parseAllDocuments(stdout).map((d) => d.toJS() as Obj).map((o) => `${o.kind}/${o.metadata.name}`);
    const installed = installManifests({ namespace: 'trellis-system', image: 'i', ca, trustDomain: 'trellis.local', nodeAgent: true }).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(names)).toEqual(new Set(installed));
    expect(names[0]).toBe('MutatingWebhookConfiguration/trellis-proxy-injector');
    expect(names.at(-1)).toMatch(/^CustomResourceDefinition\//);
    expect(uninstallManifests('x').length).toBe(names.length);
  });
});
