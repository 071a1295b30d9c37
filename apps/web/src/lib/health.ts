import type { Stats } from './trpc';

/**
 * Health by success rate (share of requests without a 5xx), the thresholds the legend shows. Latency
 * is shown as a number rather than a colour: what is slow depends on the service.
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

export function healthOf(stats: Pick<Stats, 'successRate' | 'requests'> | null | undefined): Health {
  if (!stats || !stats.requests || stats.successRate === null) return 'idle';
  if (stats.successRate >= HEALTH_THRESHOLDS.healthy) return 'healthy';
  if (stats.successRate >= HEALTH_THRESHOLDS.degraded) return 'degraded';
  return 'failing';
}
