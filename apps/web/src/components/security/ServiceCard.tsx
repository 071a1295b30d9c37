import Link from 'next/link';
import type { MtlsMode } from '@trellis/shared';
import { editorHref } from '../canary/CanaryControl';
import { CERTIFICATE_TONE, MTLS_MODE_INFO, certificateState, fmtAbsolute, fmtUntil, type AuthorizationSummary } from '@/lib/security';
import type { StoredResource } from '@/lib/trpc';
import { Badge, Card } from '../ui';
import { SpiffeId } from './SpiffeId';
import { WhoMayCall } from './WhoMayCall';

const SHORT: Record<MtlsMode, string> = {
  STRICT: 'mutual TLS only',
  PERMISSIVE: 'mutual TLS, and plain HTTP from outside the mesh',
  DISABLE: 'plain HTTP only',
};

/** One workload as the Security page lists it: a service, or (no mode, no authorization) one that only calls. */
export interface SecurityRow {
  name: string;
  namespace: string;
  mtlsMode: MtlsMode | null;
  /** The identity its proxies are issued (the control plane's rule), when it has an inbound port. */
  identity: string | null;
  proxies: { instance: string; identity: string; certificate: { rootId: string; notAfter: string } | null; bundleVersion: number }[];
  authorization: AuthorizationSummary | null;
}

function Proxies({ row, lifetimeMs, bundleVersion }: { row: SecurityRow; lifetimeMs: number; bundleVersion: number }) {
  if (row.proxies.length === 0) return <div className="hint">No connected proxy: nothing holds a certificate for it now.</div>;
  return (
    <ul className="sec-proxies">
      {row.proxies.map((p) => {
        const state = certificateState(p.certificate?.notAfter, lifetimeMs);
        return (
          <li key={p.instance} data-testid="security-proxy" data-instance={p.instance} data-cert={state}>
            <div className="sec-proxy-head">
              <strong>{p.instance}</strong>
              <Badge tone={CERTIFICATE_TONE[state]} testId="cert-state">
                {state === 'none' ? 'no certificate' : `certificate ${state}`}
              </Badge>
              <Badge tone={p.bundleVersion < bundleVersion ? 'warn' : 'neutral'} title={p.bundleVersion < bundleVersion ? 'Has not acknowledged the current trust bundle yet' : 'On the current trust bundle'}>
                bundle v{p.bundleVersion}
              </Badge>
            </div>
            {p.identity !== row.identity ? (
              <div>
                <SpiffeId id={p.identity} />
              </div>
            ) : null}
            {p.certificate ? (
              <div className="hint" data-testid="cert-expiry">
                expires {fmtUntil(p.certificate.notAfter)} ({fmtAbsolute(p.certificate.notAfter)}) · root <span className="mono">{p.certificate.rootId}</span>
              </div>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A workload's security on the Security page: its mode (and the MutualTLSPolicy that sets it), identity,
 * its proxies with their certificates, and who may call it.
 */
export function ServiceCard({ row, mtlsPolicy, lifetimeMs, bundleVersion }: { row: SecurityRow; mtlsPolicy: StoredResource | undefined; lifetimeMs: number; bundleVersion: number }) {
  const id = `${row.name}.${row.namespace}`;
  const mode = row.mtlsMode;
  const changeMode = mtlsPolicy ? editorHref(mtlsPolicy) : `/policies/new?kind=MutualTLSPolicy&target=${encodeURIComponent(row.name)}&namespace=${encodeURIComponent(row.namespace)}`;
  return (
    <div id={`service-${id}`} className="sec-service" data-testid="security-service" data-service={id} data-mode={mode ?? 'none'}>
      <Card
        title={
          <>
            {row.name} <span className="muted">{row.namespace}</span>
            {mode ? (
              <Badge tone={MTLS_MODE_INFO[mode].tone} testId="service-mode">
                {mode}
              </Badge>
            ) : (
              <Badge tone="muted" testId="service-mode">
                calls only
              </Badge>
            )}
          </>
        }
        actions={<Link href={`/graph?sel=node:${encodeURIComponent(id)}`}>Graph →</Link>}
      >
        <div className="sec-service-body">
          <div className="sec-service-main">
            <dl className="kv">
              <div className="kv-row">
                <dt>Identity</dt>
                <dd data-testid="service-identity">
                  {(row.identity ? [row.identity] : [...new Set(row.proxies.map((p) => p.identity))]).map((id) => (
                    <div key={id}>
                      <SpiffeId id={id} />
                    </div>
                  ))}
                </dd>
              </div>
              <div className="kv-row">
                <dt>Inbound</dt>
                <dd>
                  {mode ? (
                    <>
                      <span title={MTLS_MODE_INFO[mode].says}>{SHORT[mode]}</span>{' '}
                      <span className="hint" data-testid="mode-source">
                        {mtlsPolicy ? (
                          <>
                            · set by <Link href={editorHref(mtlsPolicy)}>{mtlsPolicy.metadata.name}</Link>
                          </>
                        ) : (
                          '· the default'
                        )}{' '}
                        ·{' '}
                        <Link href={changeMode} data-testid="mode-change">
                          change
                        </Link>
                      </span>
                    </>
                  ) : (
                    <span className="hint">No inbound port: it only calls other services, always over mutual TLS.</span>
                  )}
                </dd>
              </div>
            </dl>
            <div className="sec-subtitle">Proxies · certificates</div>
            <Proxies row={row} lifetimeMs={lifetimeMs} bundleVersion={bundleVersion} />
          </div>
          {row.authorization && mode ? (
            <div className="sec-service-side">
              <div className="sec-subtitle">Who may call it</div>
              <WhoMayCall service={row.name} namespace={row.namespace} mode={mode} authorization={row.authorization} />
            </div>
          ) : null}
        </div>
      </Card>
    </div>
  );
}
