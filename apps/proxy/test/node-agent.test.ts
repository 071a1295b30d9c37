import { expect, test } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { send } from './support/load.ts';
import { startControlPlane } from './support/control-plane.ts';
import { startProxy, tempDir } from './support/proxy.ts';
import { startUpstream } from './support/upstream.ts';

test('one node-agent process serves several workloads, each with its own identity, certificate and snapshot', async () => {
  const cp = await startControlPlane();
  const frontendApp = await startUpstream('frontend app');
  const backendApp = await startUpstream((req, res) => res.end(`backend saw ${String(req.headers['x-trellis-client-id'])}`));
  const dir = tempDir();
  const tokenFile = async (service: string) => {
    const file = path.join(dir, `${service}.token`);
    writeFileSync(file, await cp.joinToken(service, 'shop'), { mode: 0o600 });
    return file;
  };
  const agent = await startProxy({
    rawArgs: [
      '--admin-port', '0', '--namespace', 'shop', '--data-dir', path.join(dir, 'data'), '--control-plane', cp.url,
      '--workload', `service=frontend,app-port=${frontendApp.port},inbound-port=0,outbound-port=0,token-file=${await tokenFile('frontend')}`,
      '--workload', `service=backend,app-port=${backendApp.port},inbound-port=0,outbound-port=0,token-file=${await tokenFile('backend')},label.version=v2`,
    ], // prettier-ignore
  });
  try {
    const [frontend, backend] = agent.ready.workloads;
    expect(frontend?.service).toBe('frontend');
    expect(backend?.service).toBe('backend');
    expect(frontend?.outbound).not.toBe(backend?.outbound);

    // The frontend workload calls the backend workload over mutual TLS, with its own certificate.
    let r = await send(`http://127.0.0.1:${frontend?.outbound}`, { host: 'backend' });
    for (let i = 0; i < 100 && r.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await send(`http://127.0.0.1:${frontend?.outbound}`, { host: 'backend' });
    }
    expect(r.body).toBe('backend saw spiffe://trellis.local/ns/shop/sa/frontend');

    const config = (await (await fetch(`${agent.admin}/config`)).json()) as { workloads: Array<{ service: string; namespace: string; identity: string; snapshot: { service: { name: string } } }> };
    expect(config.workloads.map((w) => `${w.service}.${w.namespace}`)).toEqual(['frontend.shop', 'backend.shop']);
    expect(config.workloads.map((w) => w.identity)).toEqual(['spiffe://trellis.local/ns/shop/sa/frontend', 'spiffe://trellis.local/ns/shop/sa/backend']);
    expect(config.workloads.map((w) => w.snapshot.service.name)).toEqual(['frontend', 'backend']);
    expect((await fetch(`${agent.admin}/ready`)).status).toBe(200);
  } finally {
    await agent.stop();
    await cp.stop();
    await Promise.all([frontendApp.close(), backendApp.close()]);
  }
}, 60_000);
