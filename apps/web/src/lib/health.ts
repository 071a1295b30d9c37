import type { Stats } from './trpc';

/**
 * Health by success rate (share of requests without a 5xx), the thresholds the legend shows. Latency
 * is shown as a number rather than a colour: what is slow depends on the service. Of the two success
 * rates (what callers got, and every try before retries) the worse one colours: retries that hide a
 * failing callee are still a callee failing.
 */
export const HEALTH_THRESHOLDS = { healthy: 0.99, degraded: 0.95 } as const;

export type Health = 'healthy' | 'degraded' | 'failing' | 'idle';

export const HEALTH_COLORS: Record<Health, string> = {
  healthy: '#16a34a',
  degraded: '#d97706',
  failing: '#dc2626',
  idle: '#98a2b3',
};

export const HEALTH_LABELS: Record<Health, string> = {
  healthy: `≥ ${HEALTH_THRESHOLDS.healthy * 100}%`,
  degraded: `${HEALTH_THRESHOLDS.degraded * 100}–${HEALTH_THRESHOLDS.healthy * 100}%`,
  failing: `< ${HEALTH_THRESHOLDS.degraded * 100}%`,
  idle: 'no traffic',
};

export function healthOf(stats: Pick<Stats, 'successRate' | 'requests'> & Partial<Pick<Stats, 'actualSuccessRate'>> | null | undefined): Health {
  if (!stats || !stats.requests || stats.successRate === null) return 'idle';
  const worse = Math.min(stats.successRate, stats.actualSuccessRate ?? 1);
  if (worse >= HEALTH_THRESHOLDS.healthy) return 'healthy';
  if (worse >= HEALTH_THRESHOLDS.degraded) return 'degraded';
  return 'failing';
}
