import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Workload } from '../workload.ts';

/** What /metrics renders: the process's MetricsRegistry, or (--workers) every process's, merged. */
export interface MetricsText {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** With --workers: what the primary adds to /ready and /config about its worker processes. */
export interface WorkersView {
  /** Why the workers cannot all serve yet (empty when they can). */
  notReady(): string[];
  describe(): unknown[];
}

/**
 * The admin listener: /ready (200 once every workload has a snapshot, 503 before and while draining),
 * /config (the applied snapshot and its version), /metrics (Prometheus text). Every answer carries
 * x-trellis-clock-ms, the proxy's monotonic clock.
 */
export class AdminServer {
  readonly server: http.Server;
  draining = false;

  constructor(
    private readonly workloads: readonly Workload[],
    private readonly registry: MetricsText,
    private readonly workers?: WorkersView,
  ) {
    this.server = http.createServer((req, res) => {
      this.route(req.url ?? '/').then(
        ({ status, type, body }) => {
          // The proxy's monotonic clock when it built the answer: rates computed from two /metrics reads
          // divide by this, not by the reader's clock, which a busy machine can make late.
          res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-trellis-clock-ms': performance.now().toFixed(3) });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${err.message}\n`);
        },
      );
    });
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    const text = (status: number, body: string) => ({ status, type: 'text/plain; charset=utf-8', body: `${body}\n` });
    switch (path) {
      case '/ready': {
        if (this.draining) return text(503, 'draining');
        const waiting = this.workloads.filter((w) => !w.ready).map((w) => w.self);
        if (waiting.length > 0) return text(503, `waiting for a snapshot: ${waiting.join(', ')}`);
        const workers = this.workers?.notReady() ?? [];
        return workers.length === 0 ? text(200, 'ready') : text(503, workers.join('; '));
      }
      case '/config': {
        const described = this.workloads.map((w) => w.describe());
        const workers = this.workers ? { workers: this.workers.describe() } : {};
        const body = described.length === 1 ? { ...described[0], ...workers } : { workloads: described, ...workers };
        return { status: 200, type: 'application/json', body: JSON.stringify(body, null, 2) };
      }
      case '/metrics':
        return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
      default:
        return text(404, 'admin endpoints: /ready /config /metrics');
    }
  }
}
