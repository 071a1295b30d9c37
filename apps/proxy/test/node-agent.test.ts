import http from 'node:http';
import { expect, test } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { send } from './support/load.ts';
import { startControlPlane } from './support/control-plane.ts';
import { startProxy, tempDir } from './support/proxy.ts';
import { startUpstream } from './support/upstream.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { writeSnapshot } from './support/proxy.ts';
import { DEFAULT_LIMITS } from '../src/options.ts';
import { Workload } from '../src/workload.ts';

test('one node-agent process serves several workloads, each with its own identity, certificate and snapshot', async () => {
  const cp = await startControlPlane();
  const frontendApp = await startUpstream('frontend app');
  const backendApp = await startUpstream((req, res) => {
    const answer = () => res.end(`backend saw ${String(req.headers['x-trellis-client-id'])}`);
    if (req.url === '/slow') setTimeout(answer, 3000).unref();
    else answer();
  });
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

    // Between a node agent's workloads every request goes over HTTP/2: a caller that gives up resets a
    // stream, and the next calls need no new mTLS handshake (over HTTP/1.1 the cancel closed the pooled
    // connection: the spiral of a busy agent, docs/BENCHMARKS.md).
    const handshakes = async () =>
      Number(/trellis_tls_handshakes_total\{service="frontend.shop",side="outbound",result="ok",reason=""\} (\d+)/.exec(await (await fetch(`${agent.admin}/metrics`)).text())?.[1]);
    const before = await handshakes();
    const gaveUp = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: frontend?.outbound, path: '/slow', headers: { host: 'backend' }, agent: false, timeout: 300 });
      req.on('timeout', () => req.destroy(new Error('gave up')));
      req.on('error', (err) => resolve(err.message));
      req.on('response', () => resolve('answered'));
    });
    expect(gaveUp).toBe('gave up');
    for (let i = 0; i < 3; i++) expect((await send(`http://127.0.0.1:${frontend?.outbound}`, { host: 'backend' })).status).toBe(200);
    expect(await handshakes()).toBe(before);

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

test('--outbound-address: a node agent’s outbound listener is reached at the address it binds (its pod IP on Kubernetes), and not at loopback', async () => {
  const app = await startUpstream('reviews answered');
  const file = writeSnapshot(tempDir(), snapshot({ service: 'trellis-node-agent', outbound: [service({ name: 'reviews', namespace: 'shop', endpoints: [endpoint(app.port)] })] }));
  // 127.0.0.2 stands in for the pod IP: an address of this host other than 127.0.0.1.
  const agent = new Workload(
    { service: 'trellis-node-agent', namespace: 'default', labels: {}, inboundPort: 0, outboundPort: 0, address: '127.0.0.1', outboundAddress: '127.0.0.2', configFile: file },
    { limits: DEFAULT_LIMITS, log: () => {} },
  );
  await agent.start(0);
  try {
    const viaPodIp = await send(`http://127.0.0.2:${agent.ports.outbound}`, { host: 'reviews.shop' });
    expect([viaPodIp.status, viaPodIp.body]).toEqual([200, 'reviews answered']);
    await expect(send(`http://127.0.0.1:${agent.ports.outbound}`, { host: 'reviews.shop' })).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    await agent.drain(performance.now() + 1000);
    await app.close();
  }
});
