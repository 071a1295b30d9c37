import { fmtAbsolute, fmtSpan, fmtUntil, type SecurityOverview } from '@/lib/security';
import { Badge, Card } from '../ui';

/**
 * Certificates about to expire (less than a third of their lifetime left: their proxy has missed its
 * renewal at two thirds), and proxies behind the trust bundle or without a certificate.
 */
export function Certificates({ overview }: { overview: SecurityOverview }) {
  const { expiring, behind, certificateTtlMs, bundle } = overview;
  return (
    <Card title="Certificates about to expire" testId="expiring">
      {expiring.length === 0 ? (
        <div className="hint" data-testid="expiring-none">
          None. Every proxy’s certificate has more than {fmtSpan(certificateTtlMs / 3)} left (a third of its {fmtSpan(certificateTtlMs)} lifetime); proxies renew theirs at two thirds.
        </div>
      ) : (
        <ul className="plain-rows">
          {expiring.map((c) => (
            <li key={c.instance} data-testid="expiring-certificate" data-instance={c.instance}>
              <strong>{c.instance}</strong> <span className="muted">{c.service}</span> <Badge tone={new Date(c.notAfter).getTime() <= Date.now() ? 'bad' : 'warn'}>expires {fmtUntil(c.notAfter)}</Badge>
              <div className="mono identity">{c.identity}</div>
              <div className="hint">{fmtAbsolute(c.notAfter)}: its proxy should have renewed it by now; see its log.</div>
            </li>
          ))}
        </ul>
      )}
      {behind.length > 0 ? (
        <>
          <div className="sec-subtitle">Behind the trust bundle (v{bundle.version})</div>
          <ul className="plain-rows" data-testid="behind">
            {behind.map((p) => (
              <li key={p.instance}>
                <strong>{p.instance}</strong> <span className="muted">{p.service}</span>{' '}
                <span className="hint">{p.certificate ? `has bundle v${p.bundleVersion}` : 'holds no certificate'}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Card>
  );
}
