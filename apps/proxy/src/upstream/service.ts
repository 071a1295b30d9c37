import type { CompiledCircuitBreaker, Endpoint, OutboundService } from '@trellis/shared';
import type { FailureKind } from '../http/response.ts';
import { DEFAULT_OUTLIER } from './defaults.ts';
import { EndpointState } from './endpoint.ts';
import type { UpstreamTls } from './mtls-connector.ts';
import { OutlierDetector } from './outlier.ts';

/**
 * Everything the proxy keeps about one upstream service across snapshots: its endpoints (with their
 * pools and health) and the circuit breaker's counters. Filters and balancers feed it
 * results through report(); it never decides routing itself.
 */
export class UpstreamService {
  readonly endpoints = new Map<string, EndpointState>();
  /** The endpoints of the current snapshot, in snapshot order. */
  list: EndpointState[] = [];
  readonly outlier = new OutlierDetector(DEFAULT_OUTLIER);
  /** Requests sent to this service and not finished (circuit breaker limits count these). */
  active = 0;
  /** True while the circuit breaker turns requests away (the trellis_circuit_open gauge). */
  circuitOpen = false;
  limits: CompiledCircuitBreaker | undefined;

  constructor(
    readonly key: string,
    private readonly tls?: UpstreamTls,
  ) {}

  /** Takes the service's endpoints and limits from a new snapshot; endpoints that left are closed. */
  sync(service: Pick<OutboundService, 'endpoints' | 'circuitBreaker'>): void {
    this.limits = service.circuitBreaker;
    this.outlier.configure(service.circuitBreaker?.outlier ?? DEFAULT_OUTLIER);
    const perEndpoint = connectionShare(service.circuitBreaker?.maxConnections, service.endpoints.length);
    const next: EndpointState[] = [];
    const seen = new Set<string>();
    for (const e of service.endpoints) {
      const key = `${e.address}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let state = this.endpoints.get(key);
      if (state) state.update(e, perEndpoint);
      else {
        state = new EndpointState(e.address, e.port, perEndpoint, e, this.tls);
        this.endpoints.set(key, state);
      }
      next.push(state);
    }
    for (const [key, state] of this.endpoints) {
      if (!seen.has(key)) {
        this.endpoints.delete(key);
        void state.close();
      }
    }
    this.list = next;
  }

  /**
   * Feeds one attempt's result to outlier detection (Envoy's putHttpResponseCode); latency goes to the
   * balancer (balancer/ewma.ts). Returns true when it ejected the endpoint.
   */
  report(endpoint: EndpointState, status: number, failure: FailureKind | undefined, now: number): boolean {
    return this.outlier.record(endpoint, failure !== undefined || status >= 500, now, this.list);
  }

  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((e) => e.close()));
    this.endpoints.clear();
    this.list = [];
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((e) => e.destroy()));
  }
}

/** Splits a service-wide connection cap over its endpoints (at least one each); null means no cap. */
function connectionShare(maxConnections: number | undefined, endpoints: number): number | null {
  if (maxConnections === undefined) return null;
  return Math.max(1, Math.floor(maxConnections / Math.max(1, endpoints)));
}

/** The upstream services of one workload, kept across snapshots. */
export class UpstreamRegistry {
  private readonly services = new Map<string, UpstreamService>();

  /** `tls`: the workload's identity, for endpoints that speak mutual TLS. */
  constructor(private readonly tls?: UpstreamTls) {}

  /** Brings the registry in line with a snapshot's outbound services; returns them by "name.namespace". */
  sync(services: readonly OutboundService[]): Map<string, UpstreamService> {
    const current = new Map<string, UpstreamService>();
    for (const s of services) {
      const key = `${s.name}.${s.namespace}`;
      let state = this.services.get(key);
      if (!state) {
        state = new UpstreamService(key, this.tls);
        this.services.set(key, state);
      }
      state.sync(s);
      current.set(key, state);
    }
    for (const [key, state] of this.services) {
      if (!current.has(key)) {
        this.services.delete(key);
        void state.close();
      }
    }
    return current;
  }

  all(): IterableIterator<UpstreamService> {
    return this.services.values();
  }

  async close(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.close()));
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.destroy()));
  }
}

/** A single-endpoint upstream: the local app behind the inbound listener. */
export function localApp(port: number): UpstreamService {
  const app = new UpstreamService('local-app');
  const endpoint: Endpoint = { address: '127.0.0.1', port, labels: {} };
  app.sync({ endpoints: [endpoint], circuitBreaker: undefined });
  return app;
}
