import type { CompiledScaleFromZero } from '@trellis/shared';
import { proxyError } from '../http/response.ts';
import type { ProxyResponse } from '../http/response.ts';
import type { Handler, ProxyRequest } from '../http/types.ts';
import type { UpstreamService } from './service.ts';

/** While requests wait for a service, the scale-up is asked for again this often (a lost message, a restarted control plane). */
export const SCALE_UP_REPEAT_MS = 2_000;

interface Waiting {
  upstream: UpstreamService;
  wakers: Set<() => void>;
  repeat: NodeJS.Timeout;
}

/**
 * Requests held for services scaled to zero (ScaleToZeroPolicy), per workload, across snapshots (Knative's
 * activator, inside the caller's proxy). A request for such a service with no endpoint waits here, bounded
 * in number and time, while the control plane is asked to scale the service up; a snapshot that brings an
 * endpoint releases every request waiting for it through the chain then in force.
 */
export class ColdStarts {
  /** Asks the control plane to scale `service` ("name.namespace") up (`first`: not a repeat); false when it could not be sent. */
  askScaleUp: (service: string, first: boolean) => boolean = () => false;
  /** Sends a released request on through the outbound router now in force (the held one was built without endpoints). */
  resume: Handler = () => Promise.resolve(proxyError('not-ready', 'no configuration to send a released request with'));
  private readonly waiting = new Map<string, Waiting>();
  /** Requests held once already: they are never held a second time (their time is spent). */
  private readonly held = new WeakSet<ProxyRequest>();

  /** How many requests wait for `service` now. */
  heldFor(service: string): number {
    return this.waiting.get(service)?.wakers.size ?? 0;
  }

  wasHeld(req: ProxyRequest): boolean {
    return this.held.has(req);
  }

  /** Holds `req` until `upstream` has an endpoint (then it goes on), its time is up or the queue is full (503). */
  hold(req: ProxyRequest, upstream: UpstreamService, config: CompiledScaleFromZero): Promise<ProxyResponse> {
    const service = upstream.key;
    let entry = this.waiting.get(service);
    if (entry && entry.wakers.size >= config.maxHeld) {
      return Promise.resolve(proxyError('scale-up-queue-full', `${service} is scaled to zero and ${config.maxHeld} requests already wait for it`));
    }
    this.held.add(req);
    if (!entry) {
      const repeat = setInterval(() => this.askScaleUp(service, false), SCALE_UP_REPEAT_MS);
      repeat.unref();
      entry = { upstream, wakers: new Set(), repeat };
      this.waiting.set(service, entry);
      this.askScaleUp(service, true);
    }
    // The service's state as the chain in force has it (a snapshot that dropped and re-added it made a new one).
    entry.upstream = upstream;
    const waiting = entry;
    return new Promise<ProxyResponse>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        req.cancellation.offCancel(gone);
        waiting.wakers.delete(wake);
        if (waiting.wakers.size === 0 && this.waiting.get(service) === waiting) {
          clearInterval(waiting.repeat);
          this.waiting.delete(service);
        }
      };
      const wake = () => {
        done();
        resolve(this.resume(req));
      };
      const gone = () => {
        done();
        resolve(proxyError('scale-up-timeout', `the client went away while ${service} was scaling up`));
      };
      const timer = setTimeout(() => {
        done();
        resolve(proxyError('scale-up-timeout', `${service} is scaled to zero and had no ready endpoint within ${config.holdMs} ms of asking for a scale-up`));
      }, config.holdMs);
      waiting.wakers.add(wake);
      req.cancellation.onCancel(gone);
    });
  }

  /** After a snapshot was swapped in: every service that now has an endpoint gets its requests back. */
  release(): void {
    for (const entry of [...this.waiting.values()]) {
      if (entry.upstream.list.length === 0) continue;
      for (const wake of [...entry.wakers]) wake();
    }
  }
}
