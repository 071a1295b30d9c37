import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { createInstallCa, reviewAdmission } from '@trellis/control-plane/kubernetes';
import { validateKubernetesObject } from './support/kubernetes-models.ts';
import { trellis } from './support/run.ts';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    selector: { matchLabels: { app: 'reviews' } },
    template: { metadata: { labels: { app: 'reviews' } }, spec: { containers: [{ name: 'app', image: 'reviews:2', ports: [{ containerPort: 9080 }] }] } },
  },
};
const statefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db' }] } } } };
const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: { template: { metadata: { annotations: { 'trellis.dev/inject': 'disabled' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'm' }] } } } };
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews' }, spec: { selector: { app: 'reviews' }, ports: [{ port: 9080 }] } };
const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report' }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { metadata: { labels: { app: 'report' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'r', image: 'r' }] } } } } } };
const list = { apiVersion: 'v1', kind: 'List', items: [job, cronJob] };

type Obj = { kind: string; items?: Obj[]; spec?: { template?: { spec: { containers: { name: string }[] } } } };
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);

describe('trellis inject / uninject', () => {
  let dir: string;
  let roots: string;
  const flags = () => ['--image', 'trellis/trellis:test', '--control-plane-url', 'https://cp.trellis-system.svc:7400', '--ca-file', path.join(dir, 'roots.pem')];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trellis-inject-'));
    roots = (await createInstallCa('trellis.local')).root;
    await writeFile(path.join(dir, 'roots.pem'), roots);
    await writeFile(path.join(dir, 'app.yaml'), [deployment, statefulSet, service, list].map((o) => stringify(o)).join('---\n'));
  });

  it('injects every workload of a YAML stream exactly as the webhook would, leaves other kinds and opted-out pods alone, and is idempotent', async () => {
    const { code, stdout, stderr } = await trellis(['inject', '-f', path.join(dir, 'app.yaml'), ...flags()]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [injected, sts, svc, injectedList] = docs(stdout);
    // The webhook's patch applied to the same Deployment gives the same object.
    const answer = reviewAdmission({ request: { uid: 'x', object: deployment } }, { image: 'trellis/trellis:test', controlPlaneUrl: 'https://cp.trellis-system.svc:7400', trustRoots: roots }, true);
    const patch = JSON.parse(Buffer.from(answer.response.patch ?? '', 'base64').toString()) as Operation[];
    expect(injected).toEqual(jsonpatch.applyPatch(structuredClone(deployment), patch, true, false).newDocument);
    expect(sts?.spec?.template?.spec.containers.map((c) => c.name)).toEqual(['trellis-proxy', 'db']);
    expect(svc).toEqual(service);
    const [jobOut, cronOut] = injectedList?.items ?? [];
    expect(jobOut).toEqual(job);
    expect(JSON.stringify(cronOut)).toContain('trellis-proxy');
    for (const o of docs(stdout).flatMap((d) => (d.kind === 'List' ? (d.items ?? []) : [d]))) validateKubernetesObject(o as never);

    await writeFile(path.join(dir, 'injected.yaml'), stdout);
    const again = await trellis(['inject', '-f', path.join(dir, 'injected.yaml'), ...flags()]);
    expect(again.stdout).toBe(stdout);
    const back = await trellis(['uninject', '-f', path.join(dir, 'injected.yaml')]);
    expect(docs(back.stdout)).toEqual([deployment, statefulSet, service, list]);
  });

  it('refuses a stream it cannot inject, naming the document and field, and prints nothing', async () => {
    const bad = structuredClone(deployment);
    (bad.spec.template.metadata as Record<string, unknown>).annotations = { 'trellis.dev/app-port': '99999' };
    await writeFile(path.join(dir, 'bad.yaml'), `${stringify(service)}---\n${stringify(bad)}`);
    const { code, stdout, stderr } = await trellis(['inject', '-f', path.join(dir, 'bad.yaml'), ...flags()]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('bad.yaml: document 2: Deployment reviews: metadata.annotations["trellis.dev/app-port"]: "99999" is not a port (1-65535)');
  });
});
