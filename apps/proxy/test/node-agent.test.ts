import { expect, test } from 'vitest';
import path from 'node:path';
import { send } from './support/load.ts';
import { startProxy, tempDir, writeSnapshot } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream } from './support/upstream.ts';

test('one node-agent process serves several workloads, each with its own identity and snapshot', async () => {
  const frontendApp = await startUpstream('frontend app');
  const backendApp = await startUpstream((req, res) => res.end(`backend saw ${String(req.headers['x-trellis-source'])}`));
  const dir = tempDir();
  // Ports are picked at start, so the frontend's snapshot points straight at the backend app.
  const backendConfig = writeSnapshot(dir, snapshot({ service: 'backend', namespace: 'shop' }), 'backend.json');
  const frontendConfig = writeSnapshot(
    dir,
    snapshot({ service: 'frontend', namespace: 'shop', outbound: [service({ name: 'backend', namespace: 'shop', endpoints: [endpoint(backendApp.port)] })] }),
    'frontend.json',
  );
  const agent = await startProxy({
    rawArgs: [
      '--admin-port',
      '0',
      '--namespace',
      'shop',
      '--data-dir',
      path.join(dir, 'data'),
      '--workload',
      `service=frontend,app-port=${frontendApp.port},inbound-port=0,outbound-port=0,config=${frontendConfig}`,
      '--workload',
      `service=backend,app-port=${backendApp.port},inbound-port=0,outbound-port=0,config=${backendConfig},label.version=v2`,
    ],
  });
  try {
    const [frontend, backend] = agent.ready.workloads;
    expect(frontend?.service).toBe('frontend');
    expect(backend?.service).toBe('backend');
    expect(frontend?.outbound).not.toBe(backend?.outbound);

    // The frontend's outbound listener speaks as frontend.shop.
    const r = await send(`http://127.0.0.1:${frontend?.outbound}`, { host: 'backend' });
    expect(r.body).toBe('backend saw frontend.shop');
    // The backend's outbound listener knows only its own snapshot (no services).
    expect((await send(`http://127.0.0.1:${backend?.outbound}`, { host: 'backend' })).status).toBe(404);
    // Each inbound listener leads to its own app.
    expect((await send(`http://127.0.0.1:${frontend?.inbound}`)).body).toBe('frontend app');

    const config = (await (await fetch(`${agent.admin}/config`)).json()) as { workloads: Array<{ service: string; namespace: string }> };
    expect(config.workloads.map((w) => `${w.service}.${w.namespace}`)).toEqual(['frontend.shop', 'backend.shop']);
    expect((await fetch(`${agent.admin}/ready`)).status).toBe(200);
  } finally {
    await agent.stop();
    await Promise.all([frontendApp.close(), backendApp.close()]);
  }
});
