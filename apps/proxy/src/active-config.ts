import type { Snapshot } from '@trellis/shared';
import { buildInboundChain, buildInboundUpgradeCheck, buildOutboundChain, type ChainDeps } from './chain.ts';
import type { Handler } from './http/types.ts';
import { validateSnapshot } from './config/validate.ts';

/** A snapshot this proxy took (validated), and when and from where. */
export interface AppliedConfig {
  readonly snapshot: Snapshot;
  readonly appliedAt: string;
  readonly source: 'control-plane' | 'disk' | 'file';
}

/** A snapshot made ready to serve: both chains built. Immutable; a new snapshot makes a new one. */
export interface ActiveConfig extends AppliedConfig {
  readonly inbound: Handler;
  readonly outbound: Handler;
  /** The outbound chain after request context: where a request held for a service scaled to zero resumes. */
  readonly outboundRouter: Handler;
  /** Checks an upgrade (WebSocket) request; UPGRADE_ALLOWED means tunnel it to req.outcome.upstream. */
  readonly inboundUpgrade: Handler;
  readonly outboundUpgrade: Handler;
}

/**
 * Validates a snapshot and builds its chains (the control plane's compileSnapshot makes snapshots; this
 * serves one). Throws, and the stream client then NACKs, when it cannot be served.
 */
export function buildActiveConfig(
  snapshot: Snapshot,
  deps: ChainDeps,
  self: { name: string; namespace: string },
  source: AppliedConfig['source'],
): ActiveConfig {
  validateSnapshot(snapshot, self);
  deps.limiters.begin();
  deps.caches.begin();
  const inbound = buildInboundChain(snapshot, deps);
  const inboundUpgrade = buildInboundUpgradeCheck(snapshot, deps);
  const { handle: outbound, upgrade: outboundUpgrade, router: outboundRouter } = buildOutboundChain(snapshot, deps);
  deps.limiters.end();
  deps.caches.end();
  return { snapshot, inbound, outbound, outboundRouter, inboundUpgrade, outboundUpgrade, appliedAt: new Date().toISOString(), source };
}

/**
 * Validates a snapshot without building anything to serve it: the primary of --workers N, which serves
 * no request, checks what its workers will build (a snapshot they would refuse is NACKed) and passes it on.
 */
export function acceptSnapshot(snapshot: Snapshot, self: { name: string; namespace: string }, source: AppliedConfig['source']): AppliedConfig {
  validateSnapshot(snapshot, self);
  return { snapshot, appliedAt: new Date().toISOString(), source };
}
