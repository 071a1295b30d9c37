'use client';

import { useEffect, useRef, type ButtonHTMLAttributes, type ReactNode } from 'react';
import { humanError } from '@/lib/errors';
import type { Health } from '@/lib/health';

/** Small building blocks every page uses, so states and controls look the same everywhere. */

export function Button({
  variant = 'default',
  size = 'md',
  className = '',
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'default' | 'primary' | 'danger' | 'ghost'; size?: 'sm' | 'md' }) {
  return <button type="button" className={`btn btn-${variant} btn-${size} ${className}`} {...rest} />;
}

export function Spinner({ size = 14 }: { size?: number }) {
  return <span className="spinner" style={{ width: size, height: size }} aria-hidden />;
}

export function Loading({ label = 'Loading…', testId }: { label?: string; testId?: string }) {
  return (
    <div className="state state-loading" role="status" data-testid={testId ?? 'loading'}>
      <Spinner /> <span>{label}</span>
    </div>
  );
}

export function Empty({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="state state-empty" data-testid={testId ?? 'empty'}>
      <div className="state-title">{title}</div>
      {children ? <div className="state-body">{children}</div> : null}
    </div>
  );
}

/** A failed load in words: what happened, what to do, and "try again". */
export function ErrorState({ error, onRetry, title = 'Could not load this' }: { error: unknown; onRetry?: () => void; title?: string }) {
  const { what, todo } = humanError(error);
  return (
    <div className="state state-error" role="alert" data-testid="error-state">
      <div className="state-title">{title}</div>
      <div className="state-body">{what}</div>
      <div className="state-body muted">{todo}</div>
      {onRetry ? (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </div>
  );
}

export function Badge({ tone = 'neutral', children, title, testId }: { tone?: 'neutral' | 'accent' | 'ok' | 'warn' | 'bad' | 'muted'; children: ReactNode; title?: string; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title} data-testid={testId}>
      {children}
    </span>
  );
}

export function HealthDot({ health, label }: { health: Health; label?: string }) {
  return <span className={`dot dot-${health}`} role="img" aria-label={label ?? health} title={label ?? health} />;
}

export function SyncBadge({ inSync, connected = true, scaledToZero = false, testId }: { inSync: boolean; connected?: boolean; scaledToZero?: boolean; testId?: string }) {
  if (scaledToZero) return <Badge tone="muted" testId={testId}>scaled to zero</Badge>;
  if (!connected) return <Badge tone="muted" testId={testId}>disconnected</Badge>;
  return inSync ? (
    <Badge tone="ok" testId={testId}>in sync</Badge>
  ) : (
    <Badge tone="warn" testId={testId}>syncing</Badge>
  );
}

export function Card({ title, actions, children, className = '', testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`card ${className}`} data-testid={testId}>
      {title || actions ? (
        <header className="card-header">
          <h2 className="card-title">{title}</h2>
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1 className="page-title">{title}</h1>
        {subtitle ? <p className="page-subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A row of mutually exclusive options (window pickers, view toggles); arrow keys move between them. */
export function Segmented<T extends string | number>({
  options,
  value,
  onChange,
  label,
  testId,
}: {
  options: readonly { value: T; label: string }[];
  value: T;
  onChange: (value: T) => void;
  label: string;
  testId?: string;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label} data-testid={testId}>
      {options.map((o) => (
        <button
          key={String(o.value)}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          className={o.value === value ? 'active' : ''}
          onClick={() => onChange(o.value)}
          data-testid={testId ? `${testId}-${o.value}` : undefined}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

export function Tabs<T extends string>({ tabs, value, onChange, testId }: { tabs: readonly { value: T; label: ReactNode }[]; value: T; onChange: (v: T) => void; testId?: string }) {
  return (
    <div className="tabs" role="tablist" data-testid={testId}>
      {tabs.map((t) => (
        <button
          key={t.value}
          type="button"
          role="tab"
          aria-selected={t.value === value}
          className={t.value === value ? 'tab active' : 'tab'}
          onClick={() => onChange(t.value)}
          data-testid={`tab-${t.value}`}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function Stat({ label, value, hint, tone, testId }: { label: string; value: ReactNode; hint?: ReactNode; tone?: Health; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className={`stat-value ${tone ? `tone-${tone}` : ''}`}>{value}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

/** A modal dialog on the native <dialog>: focus is trapped, Escape closes it. */
export function Dialog({ open, onClose, title, children, footer, testId, wide }: { open: boolean; onClose: () => void; title: ReactNode; children: ReactNode; footer?: ReactNode; testId?: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className={`dialog ${wide ? 'dialog-wide' : ''}`} onClose={onClose} onCancel={onClose} data-testid={testId} aria-label={typeof title === 'string' ? title : undefined}>
      {open ? (
        <>
          <header className="dialog-header">
            <h2>{title}</h2>
            <button type="button" className="icon-btn" onClick={onClose} aria-label="Close">
              ×
            </button>
          </header>
          <div className="dialog-body">{children}</div>
          {footer ? <footer className="dialog-footer">{footer}</footer> : null}
        </>
      ) : null}
    </dialog>
  );
}

export function KeyValue({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {items.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
