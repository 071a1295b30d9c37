import { EDGE_TLS_LABEL, type EdgeTls } from '@/lib/security';

/** A closed padlock (mutual TLS) or an open one (plain HTTP); the words are in the accessible name. */
export function LockGlyph({ open = false, size = 14 }: { open?: boolean; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2.2} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      <path d="M5.5 11h13v9.5h-13z" fill="currentColor" fillOpacity={0.18} />
      <path d={open ? 'M8.5 11V7.5a3.5 3.5 0 0 1 6.8-1.2' : 'M8.5 11V7.5a3.5 3.5 0 0 1 7 0V11'} />
    </svg>
  );
}

/** How an edge's requests travel, as a small badge: "🔒 mutual TLS" in green, "plain HTTP" in the warning colour. */
export function TlsBadge({ tls, share, testId }: { tls: EdgeTls; share?: number | null; testId?: string }) {
  const label = tls === 'mixed' && typeof share === 'number' ? `${EDGE_TLS_LABEL.mixed} (${Math.round((1 - share) * 100)}% plain)` : EDGE_TLS_LABEL[tls];
  return (
    <span className={`tls-badge tls-${tls}`} data-testid={testId} data-tls={tls} title={label}>
      {tls === 'unknown' ? null : <LockGlyph open={tls !== 'mtls'} size={12} />}
      {label}
    </span>
  );
}
