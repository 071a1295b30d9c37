'use client';

/** The roles, as people pick them. */
export const ROLE_OPTIONS = [
  { value: 'viewer', label: 'Viewer — reads everything' },
  { value: 'editor', label: 'Editor — changes policies' },
  { value: 'admin', label: 'Admin — also people, tokens, the CA' },
] as const;

export type RoleValue = (typeof ROLE_OPTIONS)[number]['value'];

/** "shop, payments" -> ["shop", "payments"]. */
export function parseNamespaces(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function RoleSelect({ id, value, onChange, testId }: { id: string; value: RoleValue; onChange: (v: RoleValue) => void; testId?: string }) {
  return (
    <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value as RoleValue)} data-testid={testId}>
      {ROLE_OPTIONS.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** Namespaces an editor is limited to (empty: all); shown only for editors. */
export function NamespacesInput({ id, value, onChange, testId }: { id: string; value: string; onChange: (v: string) => void; testId?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>Namespaces they may change</label>
      <input id={id} className="input mono" placeholder="all namespaces" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
      <div className="help">Comma-separated, e.g. “shop, payments”. Empty: every namespace.</div>
    </div>
  );
}

/** A secret shown once, with a copy button. */
export function ShownOnce({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="shown-once" data-testid={testId}>
      <div className="hint">{label}</div>
      <div className="shown-once-row">
        <code className="mono shown-once-value" data-testid={testId ? `${testId}-value` : undefined}>
          {value}
        </code>
        <button type="button" className="btn btn-sm" onClick={() => void navigator.clipboard?.writeText(value)}>
          Copy
        </button>
      </div>
    </div>
  );
}
