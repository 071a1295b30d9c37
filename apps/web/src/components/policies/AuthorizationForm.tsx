'use client';

import { useId, useState } from 'react';
import { getAt } from '@/lib/paths';
import { Button } from '../ui';
import { Section, SelectField, TextField, fieldTestId, useForm } from './fields';
import { ScopeTargetSection } from './ScopeTarget';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

interface Rule {
  from: string[];
  paths?: { type: string; value: string }[];
  methods?: string[];
}

const parseList = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Who a rule is about, typed as a list ("cart, frontend.shop, spiffe://trellis.local/ns/shop/*"). The text
 * is kept as typed while the list goes into the draft, so a trailing ", " is not taken away mid-word; a
 * change made elsewhere (the YAML tab) replaces the text.
 */
function FromField({ path }: { path: string }) {
  const { draft, set, error } = useForm();
  const id = useId();
  const list = (getAt(draft, path) as string[] | undefined) ?? [];
  const joined = list.join(', ');
  const [text, setText] = useState(joined);
  const [seen, setSeen] = useState(joined);
  if (joined !== seen) {
    setSeen(joined);
    if (parseList(text).join(', ') !== joined) setText(joined);
  }
  const entryError = list.map((entry, i) => ({ entry, message: error(`${path}[${i}]`) })).find((e) => e.message);
  const message = entryError ? `“${entryError.entry}” ${entryError.message ?? ''}` : error(path);
  return (
    <div className="field" data-testid={`${fieldTestId(path)}-wrap`}>
      <label htmlFor={id}>From</label>
      <input
        id={id}
        className={`input mono ${message ? 'invalid' : ''}`}
        value={text}
        placeholder="cart, frontend.shop, spiffe://trellis.local/ns/shop/*"
        aria-invalid={!!message}
        aria-describedby={`${id}-note`}
        data-testid={fieldTestId(path)}
        onChange={(e) => {
          setText(e.target.value);
          set(path, parseList(e.target.value));
        }}
      />
      {message ? (
        <div className="error" id={`${id}-note`} role="alert" data-testid={`${fieldTestId(path)}-error`}>
          {message}
        </div>
      ) : (
        <div className="help" id={`${id}-note`}>
          Comma-separated: a service (“cart”, or “cart.shop” in another namespace), a SPIFFE ID pattern, “external” (callers outside the mesh) or “*” (anyone).
        </div>
      )}
    </div>
  );
}

/** Methods as checkboxes; none ticked means any method (the field is left out). */
function MethodsField({ path }: { path: string }) {
  const { draft, set, error } = useForm();
  const id = useId();
  const value = (getAt(draft, path) as string[] | undefined) ?? [];
  const message = error(path, true);
  return (
    <div className="field">
      <span className="label" id={id}>
        Methods <span className="muted">(none ticked: any)</span>
      </span>
      <div className="checks" role="group" aria-labelledby={id} data-testid={fieldTestId(path)}>
        {METHODS.map((m) => (
          <label key={m} className="check">
            <input
              type="checkbox"
              checked={value.includes(m)}
              onChange={(e) => {
                const next = e.target.checked ? [...value, m] : value.filter((v) => v !== m);
                set(path, next.length > 0 ? next : undefined);
              }}
            />
            <span className="mono">{m}</span>
          </label>
        ))}
      </div>
      {message ? (
        <div className="error" role="alert" data-testid={`${fieldTestId(path)}-error`}>
          {message}
        </div>
      ) : null}
    </div>
  );
}

/** Paths as rows of a match type and a value; no rows means any path (the field is left out). */
function PathsField({ path }: { path: string }) {
  const { draft, set } = useForm();
  const paths = (getAt(draft, path) as { type: string; value: string }[] | undefined) ?? [];
  return (
    <div className="field" data-testid={fieldTestId(path)}>
      <span className="label">
        Paths <span className="muted">(none: any)</span>
      </span>
      {paths.map((_, j) => (
        <div key={j} className="path-row">
          <SelectField
            path={`${path}[${j}].type`}
            label="Match"
            options={[
              { value: 'Exact', label: 'Exactly' },
              { value: 'PathPrefix', label: 'Starts with' },
              { value: 'RegularExpression', label: 'Regular expression' },
            ]}
          />
          <TextField path={`${path}[${j}].value`} label="Path" placeholder="/charge" mono />
          <div className="field">
            <span className="label">&nbsp;</span>
            <Button variant="ghost" aria-label={`Remove path ${j + 1}`} onClick={() => set(path, paths.length > 1 ? paths.filter((__, k) => k !== j) : undefined)}>
              Remove
            </Button>
          </div>
        </div>
      ))}
      <div>
        <Button size="sm" onClick={() => set(path, [...paths, { type: 'Exact', value: '/' }])} data-testid={`${fieldTestId(path)}-add`}>
          Add path
        </Button>
      </div>
    </div>
  );
}

function RuleEditor({ index, onRemove }: { index: number; onRemove: () => void }) {
  const base = `spec.rules[${index}]`;
  return (
    <div className="rule-box" data-testid="authz-rule-editor">
      <div className="rule-head">
        <strong>Rule {index + 1}</strong>
        <Button size="sm" variant="ghost" onClick={onRemove} aria-label={`Remove rule ${index + 1}`} data-testid={`remove-rule-${index}`}>
          Remove rule
        </Button>
      </div>
      <FromField path={`${base}.from`} />
      <MethodsField path={`${base}.methods`} />
      <PathsField path={`${base}.paths`} />
    </div>
  );
}

/**
 * AuthorizationPolicy: who may call a service, Istio's way. A matching Deny rule always wins; once an
 * Allow policy applies, only requests some Allow rule matches get in (an Allow with no rules is a
 * default-deny).
 */
export function AuthorizationForm() {
  const { draft, set, error } = useForm();
  const action = getAt(draft, 'spec.action');
  const rules = (getAt(draft, 'spec.rules') as Rule[] | undefined) ?? [];
  const listError = error('spec.rules');
  return (
    <>
      <ScopeTargetSection kinds={['Service', 'Namespace']} blurb="Enforced by the target’s own proxies on the requests they receive; the caller is the identity in its proxy’s certificate, never a header." />
      <Section title="Action">
        <div className="form-grid">
          <SelectField
            path="spec.action"
            label="Action"
            options={[
              { value: 'Allow', label: 'Allow' },
              { value: 'Deny', label: 'Deny' },
            ]}
            help={
              action === 'Deny'
                ? 'Requests a rule matches get 403, whatever any Allow says.'
                : 'Only requests a rule matches get in; every other one gets 403 (unless another Allow policy lets it in).'
            }
          />
        </div>
      </Section>
      <Section title="Rules" blurb="A rule matches when the caller is one of From and, where given, the method is one of Methods and the path matches one of Paths.">
        <div className="form" data-testid={fieldTestId('spec.rules')}>
          {rules.map((_, i) => (
            <RuleEditor key={i} index={i} onRemove={() => set('spec.rules', rules.filter((__, k) => k !== i))} />
          ))}
          {rules.length === 0 && action === 'Allow' ? (
            <div className="banner-info rule-note" data-testid="default-deny-note">
              No rules: this policy lets nobody in. On a namespace that is a default-deny; then allow callers service by service.
            </div>
          ) : null}
          {listError ? (
            <div className="error" style={{ color: 'var(--bad)' }} role="alert" data-testid={`${fieldTestId('spec.rules')}-error`}>
              {listError}
            </div>
          ) : null}
          <div>
            <Button size="sm" onClick={() => set('spec.rules', [...rules, { from: [] }])} data-testid="add-rule">
              Add rule
            </Button>
          </div>
        </div>
      </Section>
    </>
  );
}
