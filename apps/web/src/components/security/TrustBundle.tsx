import { fmtAbsolute, fmtUntil, type SecurityOverview } from '@/lib/security';
import { Badge, Card } from '../ui';

const STATUS_TONE = { active: 'ok', incoming: 'accent', retiring: 'warn' } as const;
const STATUS_SAYS = {
  active: 'trusted',
  incoming: 'joining: proxies trust it, certificates follow',
  retiring: 'leaving: proxies drop it once every certificate is from the new root',
} as const;

/** The roots every proxy trusts: which one signs now, each one's state in a rotation, and when it expires. */
export function TrustBundle({ bundle }: { bundle: SecurityOverview['bundle'] }) {
  return (
    <Card
      title={
        <>
          Trust bundle <Badge testId="bundle-version">v{bundle.version}</Badge>
        </>
      }
      testId="trust-bundle"
    >
      <ul className="sec-roots">
        {bundle.roots.map((r) => (
          <li key={r.id} data-testid="bundle-root" data-root={r.id} data-status={r.status}>
            <div className="sec-proxy-head">
              <span className="mono">
                <strong>{r.id}</strong>
              </span>
              <Badge tone={STATUS_TONE[r.status]} testId="root-status">
                {r.status}
              </Badge>
              {r.id === bundle.issuingRoot ? <Badge tone="accent">issuing</Badge> : null}
            </div>
            <div className="hint">{STATUS_SAYS[r.status]}</div>
            <dl className="kv kv-compact">
              <div className="kv-row">
                <dt>Subject</dt>
                <dd className="mono">{r.subject.split('\n').join(', ')}</dd>
              </div>
              <div className="kv-row">
                <dt>Expires</dt>
                <dd data-testid="root-expiry">
                  {fmtUntil(r.notAfter)} <span className="hint">({fmtAbsolute(r.notAfter)})</span>
                </dd>
              </div>
              <div className="kv-row">
                <dt>Pin</dt>
                <dd className="mono identity" title="What join tokens pin, so a proxy cannot be pointed at another CA">
                  {r.pin}
                </dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
      {bundle.operatorManaged ? <div className="hint">The CA signs with an intermediate the operator brought (--ca-cert): its root is rotated outside Trellis.</div> : null}
    </Card>
  );
}
