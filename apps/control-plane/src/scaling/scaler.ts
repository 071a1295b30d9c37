import { ms, type MetricsReport, type ResourceOf } from '@trellis/shared';
import type { ServiceKey } from '../discovery/registry.ts';

/** One scale change: the service, the replicas wanted (0: scale to zero) and, in Kubernetes, which workload. */
export interface ScaleRequest {
  service: string;
  namespace: string;
  replicas: number;
  /** The workload named by the policy (Kubernetes); by default the Deployment named like the service. */
  workload: { kind: 'Deployment' | 'StatefulSet'; name: string };
}

/** Does the scaling: the scale subresource in Kubernetes, a hook (HTTP or command) elsewhere. Rejects when it failed. */
export type ScaleHook = (request: ScaleRequest) => Promise<void>;

/** After a scale-up went through, further asks for the same service are answered by it for this long. */
export const SCALE_UP_DEDUPE_MS = 5_000;

interface ServiceState {
  /** When a request last reached it, or it was last scaled up (or first seen). */
  lastActive: number;
  /** Scaled to zero by us, and not asked up since. */
  atZero: boolean;
  /** The scale call under way, if any. */
  inFlight: Promise<void> | undefined;
  lastScaleUpAt: number;
}

export interface ScalerOptions {
  /** The ScaleToZeroPolicies in force, by target service. */
  policies: () => ReadonlyMap<ServiceKey, ResourceOf<'ScaleToZeroPolicy'>>;
  hook: ScaleHook;
  log: (line: string) => void;
  now?: () => number;
  /** How often idle services are looked for (default 1 s). */
  checkEveryMs?: number;
}

/**
 * Serverless for the services a ScaleToZeroPolicy targets: scales one to zero once no request reached it
 * for the policy's idleTimeout (from the proxies' telemetry), and up again when a caller's proxy holds
 * requests for it (a `scale-up` message). One scale call per service at a time; a scale-up that just went
 * through answers the repeats proxies send while they wait for the endpoint.
 */
export class Scaler {
  private readonly state = new Map<ServiceKey, ServiceState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ScalerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Telemetry from a proxy: every destination that served requests in it is active now. */
  observe(report: MetricsReport): void {
    for (const edge of report.edges) {
      const c = edge.codes;
      if (c['2xx'] + c['3xx'] + c['4xx'] + c['5xx'] > 0) this.activity(edge.destination);
    }
  }

  /** Requests reached `service` ("name.namespace"): its idle time starts again. */
  activity(service: ServiceKey): void {
    const st = this.state.get(service);
    if (st) st.lastActive = this.now();
    else if (this.options.policies().has(service)) this.state.set(service, this.fresh());
  }

  /**
   * A caller's proxy holds requests for `service`: scale it up (unless a scale call is under way, or a
   * scale-up went through moments ago). Resolves once the hook answered; never rejects (failures are logged).
   */
  async scaleUp(service: ServiceKey, by: string): Promise<'scaled' | 'already' | 'no-policy' | 'failed'> {
    const policy = this.options.policies().get(service);
    if (!policy) return 'no-policy';
    const st = this.stateOf(service);
    st.lastActive = this.now();
    if (st.inFlight) {
      await st.inFlight.catch(() => undefined);
      return 'already';
    }
    if (!st.atZero && this.now() - st.lastScaleUpAt < SCALE_UP_DEDUPE_MS) return 'already';
    const ok = await this.call(service, st, policy, policy.spec.replicas, `requests wait for it at ${by}`);
    if (ok) {
      st.atZero = false;
      st.lastScaleUpAt = this.now();
      st.lastActive = this.now();
    }
    return ok ? 'scaled' : 'failed';
  }

  /** Scales to zero every service idle for its policy's idleTimeout (called every second). */
  check(): void {
    const now = this.now();
    const policies = this.options.policies();
    for (const key of this.state.keys()) if (!policies.has(key)) this.state.delete(key);
    for (const [service, policy] of policies) {
      const st = this.stateOf(service);
      if (st.atZero || st.inFlight) continue;
      const idleMs = ms(policy.spec.idleTimeout);
      if (now - st.lastActive < idleMs) continue;
      void this.call(service, st, policy, 0, `no request for ${policy.spec.idleTimeout}`).then((ok) => {
        if (ok) st.atZero = true;
        else st.lastActive = this.now(); // tried again after another idle period, not every second
      });
    }
  }

  /** Whether the scaler last took `service` to zero (for the dashboard and tests). */
  isAtZero(service: ServiceKey): boolean {
    return this.state.get(service)?.atZero ?? false;
  }

  private fresh(): ServiceState {
    return { lastActive: this.now(), atZero: false, inFlight: undefined, lastScaleUpAt: 0 };
  }

  private stateOf(service: ServiceKey): ServiceState {
    let st = this.state.get(service);
    if (!st) this.state.set(service, (st = this.fresh()));
    return st;
  }

  private async call(service: ServiceKey, st: ServiceState, policy: ResourceOf<'ScaleToZeroPolicy'>, replicas: number, why: string): Promise<boolean> {
    const [name = '', namespace = ''] = service.split('.');
    const workload = { kind: policy.spec.workload?.kind ?? 'Deployment', name: policy.spec.workload?.name ?? name };
    const request: ScaleRequest = { service: name, namespace, replicas, workload };
    const started = this.now();
    const running = this.options.hook(request);
    st.inFlight = running;
    try {
      await running;
      this.options.log(`scaler: ${service} scaled to ${replicas} (${why}) in ${this.now() - started} ms`);
      return true;
    } catch (err) {
      this.options.log(`scaler: could not scale ${service} to ${replicas} (${why}): ${(err as Error).message}`);
      return false;
    } finally {
      if (st.inFlight === running) st.inFlight = undefined;
    }
  }
}
