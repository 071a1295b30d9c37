import type { CompiledCircuitBreaker } from '@trellis/shared';
import type { EndpointState } from './endpoint.ts';

type OutlierConfig = NonNullable<CompiledCircuitBreaker['outlier']>;

/**
 * Outlier detection (Envoy's consecutive-5xx detector): an endpoint that fails `consecutiveErrors` times
 * in a row is ejected for base × (number of its ejections), capped at the maximum, so an endpoint that
 * keeps failing stays out longer each time. Ejection ends by itself (checked lazily by isAvailable), and
 * never takes out more than maxEjectionPercent of the service's endpoints.
 */
export class OutlierDetector {
  constructor(private config: OutlierConfig | undefined) {}

  configure(config: OutlierConfig | undefined): void {
    this.config = config;
  }

  /**
   * Records one attempt's outcome for `endpoint`; `failed` means a 5xx or no HTTP answer at all.
   * Returns true when this outcome ejected the endpoint.
   */
  record(endpoint: EndpointState, failed: boolean, now: number, all: readonly EndpointState[]): boolean {
    const config = this.config;
    if (!config) return false;
    if (!failed) {
      endpoint.consecutiveErrors = 0;
      return false;
    }
    if (++endpoint.consecutiveErrors < config.consecutiveErrors || !endpoint.isAvailable(now)) return false;
    if (!this.mayEject(all, now, config.maxEjectionPercent)) return false;
    // An endpoint that behaved for longer than the longest ejection starts over at the base time.
    if (now - endpoint.ejectedUntil > config.maxEjectionMs) endpoint.ejectionCount = 0;
    endpoint.ejectionCount++;
    endpoint.ejectedUntil = now + Math.min(config.baseEjectionMs * endpoint.ejectionCount, Math.max(config.maxEjectionMs, config.baseEjectionMs));
    endpoint.consecutiveErrors = 0;
    return true;
  }

  private mayEject(all: readonly EndpointState[], now: number, maxPercent: number): boolean {
    let ejected = 0;
    for (const e of all) if (!e.isAvailable(now)) ejected++;
    return ejected + 1 <= Math.floor((all.length * maxPercent) / 100);
  }
}
