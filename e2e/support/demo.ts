import http from 'node:http';
import { FUNCTION, SHOP, portsOf } from '../../apps/cli/src/demo/shop.ts';
import { EXISTING, PORT_BASE } from './env.ts';

/**
 * Calls the demo's serverless service (thumbnails) once through the load generator's sidecar, as the
 * demo's own traffic does once a minute: its edge, loadgen -> thumbnails, is then in the graph's 10 s
 * window now instead of some time within the minute. Resolves once the call is answered (the function is
 * woken first if it was scaled to zero). Against a product already running elsewhere
 * (TRELLIS_E2E_DASHBOARD) its ports are not known: nothing is sent, and the demo's next call brings the edge.
 */
export async function callServerless(): Promise<void> {
  if (EXISTING) return;
  const { outbound } = portsOf(PORT_BASE, SHOP.length);
  // node:http, since fetch() cannot set Host, which names the service to the sidecar.
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: outbound, path: '/thumbnail/1', headers: { host: FUNCTION.service }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`${FUNCTION.service} did not answer in 30 s`)));
    req.on('error', reject);
  });
  if (status !== 200) throw new Error(`${FUNCTION.service} through loadgen's sidecar answered ${status}`);
}
