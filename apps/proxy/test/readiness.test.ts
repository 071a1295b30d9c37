import { expect, test } from 'vitest';
import { send } from './support/load.ts';
import { startProxy } from './support/proxy.ts';
import { snapshot } from './support/snapshot.ts';
import { closedPort, startUpstream } from './support/upstream.ts';

test('/ready is 503 and traffic gets not-ready until a snapshot is applied', async () => {
  const app = await startUpstream('app');
  // A control plane that is not there: the proxy runs, but has nothing to serve yet.
  const proxy = await startProxy({ appPort: app.port, args: ['--control-plane', `http://127.0.0.1:${await closedPort()}`] });
  try {
    const ready = await fetch(`${proxy.admin}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('waiting for a snapshot');
    const r = await send(proxy.outbound, { host: 'anything' });
    expect(r.status).toBe(503);
    expect(r.headers['x-trellis-reason']).toBe('not-ready');
    // Until a snapshot says otherwise, the inbound port takes only mutual TLS (STRICT).
    const inbound = await send(proxy.inbound);
    expect(inbound.status).toBe(403);
    expect(inbound.headers['x-trellis-reason']).toBe('mtls-required');
    expect(app.hits).toBe(0);
    const config = (await (await fetch(`${proxy.admin}/config`)).json()) as { version: number | null };
    expect(config.version).toBeNull();
  } finally {
    await proxy.stop();
    await app.close();
  }
});

test('/ready is 200 once a snapshot is applied, and /config shows its version', async () => {
  const proxy = await startProxy({ config: snapshot({ version: 7 }) });
  try {
    expect((await fetch(`${proxy.admin}/ready`)).status).toBe(200);
    const config = (await (await fetch(`${proxy.admin}/config`)).json()) as { version: number; snapshot: { version: number }; source: string };
    expect(config.version).toBe(7);
    expect(config.snapshot.version).toBe(7);
    expect(config.source).toBe('file');
  } finally {
    await proxy.stop();
  }
});
