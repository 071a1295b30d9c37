'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { CERTIFICATE_TONE, MTLS_MODE_INFO, certificateState, fmtAbsolute, fmtUntil, identitiesOf, isMtlsMode, securityHref } from '@/lib/security';
import { useTRPC, type GraphNode } from '@/lib/trpc';
import { Badge } from '../ui';
import { SpiffeId } from './SpiffeId';

/**
 * The service panel's security: the identity its proxies proved, how it takes inbound connections
 * (its mTLS mode), and when the first of its certificates expires.
 */
export function ServiceSecurity({ nodeId, node }: { nodeId: string; node: GraphNode | undefined }) {
  const trpc = useTRPC();
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const ca = useQuery(trpc.identity.ca.status.queryOptions(undefined, { staleTime: 60_000 }));
  const security = node?.security ?? null;
  const ids = identitiesOf(nodeId, node, proxies.data);
  // A workload that only calls (no inbound port) has no mode; its certificate is its proxies'.
  const own = (proxies.data ?? []).filter((p) => p.connected && `${p.service}.${p.namespace}` === nodeId);
  const expiry = security ? security.certificateExpiry : (own.flatMap((p) => (p.certificate ? [p.certificate.notAfter] : [])).sort()[0] ?? null);
  const state = certificateState(expiry, ca.data?.certificateTtlMs ?? 86_400_000);
  const mode = security?.mtlsMode;
  return (
    <div className="node-security" data-testid="node-security">
      <dl className="kv">
        <div className="kv-row">
          <dt>Identity</dt>
          <dd data-testid="node-identity">
            {ids.length === 0 ? (
              <span className="hint">no identity proved (no connected proxy)</span>
            ) : (
              ids.map((id) => (
                <div key={id}>
                  <SpiffeId id={id} />
                </div>
              ))
            )}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Inbound</dt>
          <dd data-testid="node-mtls-mode" data-mode={mode ?? 'none'}>
            {isMtlsMode(mode) ? (
              <>
                <Badge tone={MTLS_MODE_INFO[mode].tone}>{mode}</Badge> <span className="hint">{MTLS_MODE_INFO[mode].says}</span>
              </>
            ) : (
              <span className="hint">no inbound port: this workload only calls others (always over mutual TLS)</span>
            )}
          </dd>
        </div>
        <div className="kv-row">
          <dt>Certificate</dt>
          <dd data-testid="node-cert-expiry" data-state={state}>
            {expiry ? (
              <>
                <Badge tone={CERTIFICATE_TONE[state]}>{state}</Badge> expires {fmtUntil(expiry)} <span className="hint">({fmtAbsolute(expiry)})</span>
              </>
            ) : (
              <span className="hint">none: no connected proxy holds one</span>
            )}
          </dd>
        </div>
      </dl>
      <Link href={securityHref(nodeId)} className="hint-link" data-testid="node-security-link">
        Identities, certificates and who may call it →
      </Link>
    </div>
  );
}
