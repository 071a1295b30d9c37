import { HEALTH_COLORS, HEALTH_LABELS, type Health } from '@/lib/health';
import { LockGlyph } from '../security/TlsLock';

export function Legend() {
  const order: Health[] = ['healthy', 'degraded', 'failing', 'idle'];
  return (
    <div className="graph-legend" data-testid="graph-legend" aria-label="Legend">
      <div className="title">Success rate</div>
      {order.map((h) => (
        <div key={h} className="row">
          <span className="swatch" style={{ background: HEALTH_COLORS[h] }} />
          {HEALTH_LABELS[h]}
        </div>
      ))}
      <div className="row muted" style={{ marginTop: 2 }}>
        Edges: rps · success · p99, width by rps
      </div>
      <div className="row muted">2nd line: success of every try, before retries; colour by the worse</div>
      <div className="row muted" data-testid="legend-grpc">
        · gRPC: the edge carries gRPC calls (their status codes in its panel)
      </div>
      <div className="row muted" data-testid="legend-mtls">
        <span className="legend-lock tls-mtls">
          <LockGlyph size={11} />
        </span>
        mutual TLS
      </div>
      <div className="row muted" data-testid="legend-plain">
        <span className="legend-lock tls-plain">
          <LockGlyph open size={11} />
        </span>
        plain HTTP (dashed line)
      </div>
      <div className="row muted">
        <span className="node-badge">RETRY</span> policies on the service
      </div>
    </div>
  );
}
