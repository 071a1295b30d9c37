'use client';

import { createContext, useContext, useId, type ReactNode } from 'react';
import { getAt } from '@/lib/paths';

/** What every field needs from its form: the draft, a setter by path, and the message for a path. */
export interface FormApi {
  draft: Record<string, unknown>;
  set: (path: string, value: unknown) => void;
  /** The message to show at `path` now (client validation once touched, or the server's), if any. */
  error: (path: string, nested?: boolean) => string | undefined;
  touch: (path: string) => void;
  services: { name: string; namespace: string; routes: string[] }[];
  creating: boolean;
}

export const FormContext = createContext<FormApi | null>(null);

export function useForm(): FormApi {
  const api = useContext(FormContext);
  if (!api) throw new Error('fields must be inside a policy form');
  return api;
}

/** "spec.backends[1].weight" -> "field-spec-backends-1-weight", for tests and labels. */
export const fieldTestId = (path: string) => `field-${path.replace(/[[\].]+/g, '-').replace(/-$/, '')}`;

function Field({ path, label, help, children, id, nested }: { path: string; label: string; help?: ReactNode; children: ReactNode; id: string; nested?: boolean }) {
  const { error } = useForm();
  const message = error(path, nested);
  return (
    <div className="field" data-testid={`${fieldTestId(path)}-wrap`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {message ? (
        <div className="error" id={`${id}-error`} role="alert" data-testid={`${fieldTestId(path)}-error`}>
          {message}
        </div>
      ) : help ? (
        <div className="help" id={`${id}-help`}>
          {help}
        </div>
      ) : null}
    </div>
  );
}

export function NumberField({ path, label, help, step = 1, min, max, placeholder, optional }: { path: string; label: string; help?: ReactNode; step?: number; min?: number; max?: number; placeholder?: string; optional?: boolean }) {
  const { draft, set, error, touch } = useForm();
  const id = useId();
  const value = getAt(draft, path);
  const invalid = !!error(path);
  return (
    <Field path={path} label={optional ? `${label} (optional)` : label} help={help} id={id}>
      <input
        id={id}
        className={`input ${invalid ? 'invalid' : ''}`}
        type="number"
        inputMode="decimal"
        step={step}
        min={min}
        max={max}
        placeholder={placeholder}
        value={typeof value === 'number' && Number.isFinite(value) ? value : ''}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${id}-error` : help ? `${id}-help` : undefined}
        data-testid={fieldTestId(path)}
        onChange={(e) => {
          const raw = e.target.value;
          set(path, raw === '' ? undefined : Number(raw));
        }}
        onBlur={() => touch(path)}
      />
    </Field>
  );
}

export function TextField({ path, label, help, placeholder, optional, disabled, mono }: { path: string; label: string; help?: ReactNode; placeholder?: string; optional?: boolean; disabled?: boolean; mono?: boolean }) {
  const { draft, set, error, touch } = useForm();
  const id = useId();
  const value = getAt(draft, path);
  const invalid = !!error(path);
  return (
    <Field path={path} label={optional ? `${label} (optional)` : label} help={help} id={id}>
      <input
        id={id}
        className={`input ${invalid ? 'invalid' : ''} ${mono ? 'mono' : ''}`}
        type="text"
        placeholder={placeholder}
        disabled={disabled}
        value={typeof value === 'string' ? value : value === undefined ? '' : String(value as number)}
        aria-invalid={invalid}
        aria-describedby={invalid ? `${id}-error` : help ? `${id}-help` : undefined}
        data-testid={fieldTestId(path)}
        onChange={(e) => set(path, e.target.value === '' && optional ? undefined : e.target.value)}
        onBlur={() => touch(path)}
      />
    </Field>
  );
}

export function SelectField({ path, label, help, options, optional }: { path: string; label: string; help?: ReactNode; options: readonly (string | { value: string; label: string })[]; optional?: boolean }) {
  const { draft, set, error, touch } = useForm();
  const id = useId();
  const value = getAt(draft, path);
  const invalid = !!error(path);
  return (
    <Field path={path} label={label} help={help} id={id}>
      <select
        id={id}
        className={`select ${invalid ? 'invalid' : ''}`}
        value={typeof value === 'string' ? value : ''}
        aria-invalid={invalid}
        data-testid={fieldTestId(path)}
        onChange={(e) => {
          set(path, e.target.value === '' && optional ? undefined : e.target.value);
          touch(path);
        }}
      >
        {optional ? <option value="">—</option> : null}
        {options.map((o) => {
          const { value: v, label: l } = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </select>
    </Field>
  );
}

export function ChecksField({ path, label, help, options }: { path: string; label: string; help?: ReactNode; options: readonly string[] }) {
  const { draft, set, touch } = useForm();
  const id = useId();
  const value = (getAt(draft, path) as string[] | undefined) ?? [];
  return (
    <Field path={path} label={label} help={help} id={id} nested>
      <div className="checks" role="group" aria-labelledby={id} id={id} data-testid={fieldTestId(path)}>
        {options.map((o) => (
          <label key={o} className="check">
            <input
              type="checkbox"
              checked={value.includes(o)}
              onChange={(e) => {
                set(path, e.target.checked ? [...value, o] : value.filter((v) => v !== o));
                touch(path);
              }}
            />
            <span className="mono">{o}</span>
          </label>
        ))}
      </div>
    </Field>
  );
}

/** An optional block of the spec (e.g. outlierDetection): switched on, it gets `defaults`; off, it is removed. */
export function OptionalSection({ path, title, blurb, defaults, children }: { path: string; title: string; blurb: string; defaults: Record<string, unknown>; children: ReactNode }) {
  const { draft, set, error } = useForm();
  const on = getAt(draft, path) !== undefined;
  const message = error(path);
  return (
    <section className="form-section" data-testid={`${fieldTestId(path)}-section`}>
      <label className="switch-row">
        <input type="checkbox" checked={on} onChange={(e) => set(path, e.target.checked ? defaults : undefined)} data-testid={`${fieldTestId(path)}-toggle`} />
        {title}
      </label>
      <p style={{ margin: '4px 0 12px 24px' }} className="hint">
        {blurb}
      </p>
      {message ? (
        <div className="error field" style={{ color: 'var(--bad)', marginBottom: 8 }} role="alert" data-testid={`${fieldTestId(path)}-error`}>
          {message}
        </div>
      ) : null}
      {on ? children : null}
    </section>
  );
}

export function Section({ title, blurb, children, testId }: { title: string; blurb?: string; children: ReactNode; testId?: string }) {
  return (
    <section className="form-section" data-testid={testId}>
      <h3>{title}</h3>
      {blurb ? <p>{blurb}</p> : <div style={{ height: 10 }} />}
      {children}
    </section>
  );
}

/** A label selector typed as "key=value, key=value" (a backend's or a mirror's subset). */
export function LabelsField({ path, label, help = 'Endpoint labels, e.g. version=v2.' }: { path: string; label: string; help?: ReactNode }) {
  const { draft, set, touch } = useForm();
  const id = useId();
  const selector = (getAt(draft, path) as Record<string, string> | undefined) ?? {};
  const text = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return (
    <Field path={path} label={label} help={help} id={id} nested>
      <input
        id={id}
        className="input mono"
        defaultValue={text}
        key={text}
        placeholder="version=v2"
        data-testid={fieldTestId(path)}
        onBlur={(e) => {
          const next: Record<string, string> = {};
          for (const part of e.target.value.split(',')) {
            const [k, ...v] = part.split('=');
            if (k?.trim()) next[k.trim()] = v.join('=').trim();
          }
          set(path, next);
          touch(path);
        }}
      />
    </Field>
  );
}

/** A yes/no field (e.g. localityAware). */
export function SwitchField({ path, label, help }: { path: string; label: string; help?: ReactNode }) {
  const { draft, set, touch } = useForm();
  const id = useId();
  return (
    <Field path={path} label={label} help={help} id={id}>
      <label className="check">
        <input
          id={id}
          type="checkbox"
          checked={getAt(draft, path) === true}
          data-testid={fieldTestId(path)}
          onChange={(e) => {
            set(path, e.target.checked);
            touch(path);
          }}
        />
        <span>{getAt(draft, path) === true ? 'On' : 'Off'}</span>
      </label>
    </Field>
  );
}
