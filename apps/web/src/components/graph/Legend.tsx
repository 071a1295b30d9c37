import { HEALTH_COLORS, HEALTH_LABELS, type Health } from '@/lib/health';
import { LockGlyph } from '../security/TlsLock';

/** What the colours, lines, locks and badges mean: a strip under the graph (wraps on narrow screens). */
export function Legend() {
  const order: Health[] = ['healthy', 'degraded', 'failing', 'idle'];
  return (
    <div className="graph-legend" data-testid="graph-legend" aria-label="Legend">
      <div className="group">
        <span className="title">Success rate</span>
        {order.map((h) => (
          <span key={h} className="row">
            <span className="swatch" style={{ background: HEALTH_COLORS[h] }} />
            {HEALTH_LABELS[h]}
          </span>
        ))}
      </div>
      <div className="group">
        <span className="row muted" data-testid="legend-mtls">
          <span className="legend-lock tls-mtls">
            <LockGlyph size={11} />
          </span>
          mutual TLS
        </span>
        <span className="row muted" data-testid="legend-plain">
          <span className="legend-lock tls-plain">
            <LockGlyph open size={11} />
          </span>
          plain HTTP (dashed line)
        </span>
        <span className="row muted">
          <span className="node-badge">RETRY</span> policies on the service
        </span>
      </div>
      <span className="row muted more" data-testid="legend-grpc">
        Edges: rps · success · p99, width by rps; a 2nd line: success of every try, before retries (colour by the worse); “· gRPC”: the edge carries gRPC calls (status codes in its panel)
      </span>
    </div>
  );
}
