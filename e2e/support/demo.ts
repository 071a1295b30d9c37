import http from 'node:http';
import { FUNCTION, SHOP, portsOf } from '../../apps/cli/src/demo/shop.ts';
import { EXISTING, PORT_BASE } from './env.ts';

/**
 * Calls the demo's serverless service (thumbnails) once through the load generator's sidecar, as the
 * demo's own traffic does once a minute: its edge, loadgen -> thumbnails, is then in the graph's 10 s
 * window now instead of some time within the minute. Resolves once the call is answered (the function is
 * woken first if it was scaled to zero), or failed: a spec that needs the edge still waits for it, and the
 * demo's next call brings it. Against a product already running elsewhere (TRELLIS_E2E_DASHBOARD) its
 * ports are not known, and nothing is sent.
 */
export async function callServerless(): Promise<void> {
  if (EXISTING) return;
  const { outbound } = portsOf(PORT_BASE, SHOP.length);
  // node:http, since fetch() cannot set Host, which names the service to the sidecar.
  await new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: outbound, path: '/thumbnail/1', headers: { host: FUNCTION.service }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
  });
}
