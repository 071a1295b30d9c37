'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef } from 'react';
import { certificateState, fmtSpan, mtlsPolicyFor, type SecurityOverview } from '@/lib/security';
import { useTRPC, type ProxyStatus } from '@/lib/trpc';
import { Empty, ErrorState, Loading, PageHeader, Stat } from '../ui';
import { Certificates } from './Certificates';
import { Rotation } from './Rotation';
import { ServiceCard, type SecurityRow } from './ServiceCard';
import { TrustBundle } from './TrustBundle';

/** Services as the overview has them, then workloads known only by their connected proxies (they only call). */
function rowsOf(overview: SecurityOverview, proxies: readonly ProxyStatus[]): SecurityRow[] {
  const rows: SecurityRow[] = overview.services.map((s) => ({ ...s, mtlsMode: s.mtlsMode }));
  const known = new Set(rows.map((r) => `${r.name}.${r.namespace}`));
  const callers = new Map<string, ProxyStatus[]>();
  for (const p of proxies) {
    const id = `${p.service}.${p.namespace}`;
    if (!p.connected || known.has(id)) continue;
    callers.set(id, [...(callers.get(id) ?? []), p]);
  }
  for (const [, own] of [...callers].sort(([a], [b]) => a.localeCompare(b))) {
    const first = own[0];
    if (!first) continue;
    rows.push({
      name: first.service,
      namespace: first.namespace,
      mtlsMode: null,
      identity: null,
      proxies: own.map((p) => ({ instance: p.instance, identity: p.identity, certificate: p.certificate, bundleVersion: p.bundleVersion })),
      authorization: null,
    });
  }
  return rows;
}

/**
 * The Security page: the trust domain, the trust bundle and its rotation, certificates about to expire,
 * and for every service its mTLS mode, identity, proxies' certificates and who may call it.
 */
export function SecurityPage() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.identity.overview.queryOptions(undefined, { refetchInterval: (q) => (q.state.data && q.state.data.rotation.phase !== 'idle' ? 1000 : 3000) }));
  const proxies = useQuery(trpc.proxies.list.queryOptions(undefined, { refetchInterval: 5000 }));
  const mtlsPolicies = useQuery(trpc.resources.list.queryOptions({ kind: 'MutualTLSPolicy' }, { refetchInterval: 5000 }));
  const scrolled = useRef(false);

  const data = overview.data;
  const rows = data ? rowsOf(data, proxies.data ?? []) : [];

  // A link from the graph (`/security#service-reviews.default`) lands on that service once it is drawn.
  useEffect(() => {
    if (scrolled.current || rows.length === 0) return;
    const hash = decodeURIComponent(window.location.hash.slice(1));
    if (!hash) return;
    scrolled.current = true;
    document.getElementById(hash)?.scrollIntoView({ block: 'start' });
  }, [rows.length]);

  const header = (
    <PageHeader
      title="Security"
      subtitle="Workload identities, mutual TLS between proxies, the mesh CA’s trust bundle, and who may call each service."
      actions={
        <>
          <Link href="/policies?kind=MutualTLSPolicy">mTLS modes</Link>
          <Link href="/policies?kind=AuthorizationPolicy">Authorization policies</Link>
        </>
      }
    />
  );
  if (overview.isLoading) {
    return (
      <div className="page" data-testid="security-page">
        {header}
        <Loading label="Loading identities and certificates…" />
      </div>
    );
  }
  if (!data) {
    return (
      <div className="page" data-testid="security-page">
        {header}
        <ErrorState title="Could not load the mesh’s security" error={overview.error ?? 'no answer'} onRetry={() => void overview.refetch()} />
      </div>
    );
  }

  const services = rows.filter((r) => r.mtlsMode);
  const strict = services.filter((r) => r.mtlsMode === 'STRICT').length;
  const others = services.length - strict;
  const certs = rows.flatMap((r) => r.proxies.map((p) => certificateState(p.certificate?.notAfter, data.certificateTtlMs)));
  const connected = (proxies.data ?? []).filter((p) => p.connected).length;
  const issuing = data.bundle.roots.find((r) => r.id === data.bundle.issuingRoot);

  return (
    <div className="page sec-page" data-testid="security-page">
      {header}
      <div className="stats sec-stats">
        <Stat label="Trust domain" value={<span className="mono">{data.trustDomain}</span>} hint="spiffe://<domain>/ns/<namespace>/sa/<service>" testId="trust-domain" />
        <Stat label="Mutual TLS" value={`${strict}/${services.length} STRICT`} tone={others === 0 ? 'healthy' : 'degraded'} hint={others === 0 ? 'every service takes only mutual TLS' : `${others} also take${others === 1 ? 's' : ''} plain HTTP`} testId="strict-count" />
        <Stat
          label="Certificates"
          value={`${certs.filter((c) => c === 'valid').length} valid`}
          tone={certs.every((c) => c === 'valid') ? 'healthy' : 'degraded'}
          hint={`${data.expiring.length} expiring · ${fmtSpan(data.certificateTtlMs)} lifetime`}
          testId="cert-count"
        />
        <Stat label="Trust bundle" value={`v${data.bundle.version}`} hint={`${data.bundle.roots.length} root${data.bundle.roots.length === 1 ? '' : 's'}${issuing ? ` · signing: ${issuing.id}` : ''}`} testId="bundle-stat" />
      </div>

      <div className="sec-top">
        <TrustBundle bundle={data.bundle} />
        <div className="sec-column">
          <Rotation rotation={data.rotation} bundle={data.bundle} connectedProxies={connected} onChanged={() => void overview.refetch()} />
          <Certificates overview={data} />
        </div>
      </div>

      <h2 className="sec-heading">Services</h2>
      {rows.length === 0 ? (
        <Empty title="No services yet" testId="security-empty">
          Services appear when their proxies join with a join token (<span className="mono">trellis token create --service NAME</span>) or when a Service resource is applied.
        </Empty>
      ) : (
        <div className="sec-services">
          {rows.map((row) => (
            <ServiceCard
              key={`${row.name}.${row.namespace}`}
              row={row}
              mtlsPolicy={row.mtlsMode ? mtlsPolicyFor(mtlsPolicies.data ?? [], row.name, row.namespace) : undefined}
              lifetimeMs={data.certificateTtlMs}
              bundleVersion={data.bundle.version}
            />
          ))}
        </div>
      )}
    </div>
  );
}
