import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApp } from './apps.ts';
import { FUNCTION, type portsOf } from './shop.ts';
import type { Child, Supervisor } from './supervisor.ts';

/** How `trellis up` starts the function's sidecar: its command line and environment for these ports. */
export type SidecarStarter = (ports: ReturnType<typeof portsOf>) => Promise<Child>;

/**
 * The demo's scale hook: the control plane POSTs {service, namespace, replicas} here (--scale-hook-url)
 * and this starts (replicas >= 1) or stops (0) the function's app and sidecar, as a platform would start
 * and stop a serverless workload. Starting twice, or stopping what is stopped, changes nothing.
 */
export class FunctionScaler {
  private running: Promise<{ app: { close(): void }; sidecar: Child }> | undefined;
  private sidecar: SidecarStarter | undefined;
  private readonly server: http.Server;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly ports: ReturnType<typeof portsOf>,
    private readonly say: (line: string) => void,
  ) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        let replicas: unknown;
        try {
          ({ replicas } = JSON.parse(body) as { replicas?: unknown });
        } catch {
          replicas = undefined;
        }
        if (req.method !== 'POST' || typeof replicas !== 'number') {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('POST {"service","namespace","replicas"}\n');
          return;
        }
        (replicas > 0 ? this.up() : this.down()).then(
          () => res.writeHead(204).end(),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
        );
      });
    });
  }

  /** Listens for the control plane's calls; returns the hook URL. */
  async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/scale`;
  }

  /** From now on scale-ups can start the sidecar (it needs the run's join token). */
  enable(start: SidecarStarter): void {
    this.sidecar = start;
  }

  private up(): Promise<void> {
    const start = this.sidecar;
    if (!start) return Promise.reject(new Error('the demo is still starting'));
    this.running ??= (async () => {
      const t0 = Date.now();
      const app = await startApp(FUNCTION, this.ports.app, this.ports.outbound);
      try {
        const sidecar = await start(this.ports);
        this.say(`✓ ${FUNCTION.id.padEnd(15)} woken by a request: app :${this.ports.app} and sidecar up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return { app, sidecar };
      } catch (err) {
        app.close();
        throw err;
      }
    })().catch((err: Error) => {
      this.running = undefined;
      throw err;
    });
    return this.running.then(() => undefined);
  }

  private async down(quiet = false): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const { app, sidecar } = await running;
    await this.supervisor.stop(sidecar);
    app.close();
    if (!quiet) this.say(`✓ ${FUNCTION.id.padEnd(15)} idle: scaled to zero (app and sidecar stopped)`);
  }

  /** Stops the function (if it runs) and the hook. */
  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await this.down(true).catch(() => undefined);
  }
}
