'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { fmtPct, serviceName } from '@/lib/format';
import { edgeTls, identitiesOf, securityHref } from '@/lib/security';
import { useTRPC, type GraphEdge, type GraphNode } from '@/lib/trpc';
import { SpiffeId } from './SpiffeId';
import { TlsBadge } from './TlsLock';

function Side({ role, nodeId, ids, testId }: { role: string; nodeId: string; ids: string[]; testId: string }) {
  return (
    <div className="identity-side" data-testid={testId}>
      <div className="identity-role">
        {role} · <strong>{serviceName(nodeId)}</strong>
      </div>
      {nodeId === 'external' ? (
        <div className="hint">outside the mesh: no identity</div>
      ) : ids.length === 0 ? (
        <div className="hint">no identity proved (no connected proxy)</div>
      ) : (
        ids.map((id) => (
          <div key={id}>
            <SpiffeId id={id} testId="identity" />
          </div>
        ))
      )}
    </div>
  );
}

/**
 * The edge panel's security: whether the edge's requests went over mutual TLS (from what the calling
 * proxies reported), and the identity on each side, as the proxies proved them with their certificates.
 */
export function EdgeSecurity({ source, destination, edge, nodes }: { source: string; destination: string; edge: GraphEdge | undefined; nodes: readonly GraphNode[] }) {
  const trpc = useTRPC();
  // Workloads that only call (no inbound port, like the demo's load generator) are known by their proxies.
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const share = edge?.stats.mtlsShare ?? null;
  const tls = edgeTls(share);
  const to = nodes.find((n) => n.id === destination);
  const mode = to?.security?.mtlsMode;
  return (
    <div className="edge-security" data-testid="edge-security" data-tls={tls}>
      <div className="edge-security-head">
        <TlsBadge tls={tls} share={share} testId="edge-tls" />
        <span className="hint">
          {tls === 'mtls'
            ? 'Every request in the last 10 s went over mutual TLS between the two proxies.'
            : tls === 'unknown'
              ? 'No requests in the last 10 s.'
              : `${fmtPct(share ?? 0, 0)} of the last 10 s over mutual TLS.${mode && mode !== 'STRICT' ? ` ${serviceName(destination)} takes plain HTTP (${mode}).` : ''}`}
        </span>
      </div>
      <div className="identity-pair">
        <Side role="caller" nodeId={source} ids={identitiesOf(source, nodes.find((n) => n.id === source), proxies.data)} testId="edge-source-identity" />
        <span className="identity-arrow" aria-hidden>
          →
        </span>
        <Side role="callee" nodeId={destination} ids={identitiesOf(destination, to, proxies.data)} testId="edge-destination-identity" />
      </div>
      <Link href={securityHref(destination === 'external' ? undefined : destination)} className="hint-link">
        Security of {serviceName(destination)} →
      </Link>
    </div>
  );
}
