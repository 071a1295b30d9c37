'use client';

import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { apiError } from '@/lib/errors';
import { toast } from '@/lib/toast';
import { useTRPC } from '@/lib/trpc';
import { useMe } from '../Providers';
import { Badge, Button, Card, KeyValue, PageHeader } from '../ui';
import { signOut } from './UserMenu';

const DESCRIPTIONS: Record<string, string> = {
  'mesh:read': 'see everything: graph, traces, policies, proxies',
  'policy:write': 'change policies and services',
  'join-tokens:manage': 'let proxies join the mesh',
  'ca:manage': 'rotate the mesh certificate authority',
  'users:manage': 'manage people and API tokens',
};

/** Who you are, what you may do, and your password. */
export function AccountPage({ welcome }: { welcome: boolean }) {
  const me = useMe();
  const trpc = useTRPC();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [fieldError, setFieldError] = useState<{ path: string; message: string } | null>(null);
  const change = useMutation(trpc.auth.changePassword.mutationOptions());
  if (!me) return <div className="page-pad">The control plane could not be asked who you are.</div>;
  const needsCurrent = me.hasPassword && me.signedInWith !== 'link';
  const mismatch = again.length > 0 && next !== again;

  const submit = async () => {
    setFieldError(null);
    if (next !== again) {
      setFieldError({ path: 'again', message: 'the two new passwords differ' });
      return;
    }
    try {
      const result = await change.mutateAsync({ ...(needsCurrent ? { currentPassword: current } : {}), newPassword: next });
      setCurrent('');
      setNext('');
      setAgain('');
      toast(`Password changed.${result.otherSessionsEnded ? ` ${result.otherSessionsEnded} other session(s) signed out.` : ''}`);
    } catch (error) {
      const info = apiError(error);
      const first = info.fieldErrors[0];
      if (first) setFieldError({ path: first.path, message: first.message });
      else toast(`Could not change the password: ${info.message}`, 'error');
    }
  };

  return (
    <div className="page page-narrow" data-testid="account-page">
      <PageHeader title="Your account" subtitle="Who the control plane takes you for, and what you may do." actions={<Button onClick={() => void signOut()}>Sign out</Button>} />
      {welcome ? (
        <div className="form-errors banner-info welcome" role="status" data-testid="welcome">
          You are signed in with a one-time link. {me.hasPassword ? 'Set a new password below to sign in again later.' : 'Choose a password below so you can sign in again later.'}{' '}
          <Link href="/graph">Go to the service graph →</Link>
        </div>
      ) : null}
      <Card title="You">
        <KeyValue
          items={[
            ['Name', <span key="n" data-testid="account-name">{me.name}</span>],
            ['Role', <Badge key="r" tone="accent" testId="account-role">{me.role}</Badge>],
            ['May change', me.role === 'viewer' ? 'nothing (reads everything)' : me.role === 'editor' && me.namespaces.length ? `policies in ${me.namespaces.join(', ')}` : 'every namespace'],
            ['Signs in with', [me.hasPassword ? 'password' : '', me.sso ? 'single sign-on' : ''].filter(Boolean).join(', ') || 'one-time links'],
            ['May', <ul key="m" className="plain-list">{me.permissions.map((p) => <li key={p}><span className="mono">{p}</span> — {DESCRIPTIONS[p] ?? p}</li>)}</ul>],
          ]}
        />
      </Card>
      {me.kind === 'user' ? (
        <Card title={me.hasPassword ? 'Change password' : 'Set a password'}>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            {needsCurrent ? (
              <div className="field">
                <label htmlFor="current-password">Current password</label>
                <input id="current-password" type="password" className={`input ${fieldError?.path === 'currentPassword' ? 'invalid' : ''}`} autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} data-testid="current-password" />
                {fieldError?.path === 'currentPassword' ? <div className="error">{fieldError.message}</div> : null}
              </div>
            ) : null}
            <div className="field">
              <label htmlFor="new-password">New password</label>
              <input id="new-password" type="password" className={`input ${fieldError?.path === 'newPassword' ? 'invalid' : ''}`} autoComplete="new-password" minLength={10} required value={next} onChange={(e) => setNext(e.target.value)} data-testid="new-password" />
              <div className={fieldError?.path === 'newPassword' ? 'error' : 'help'}>{fieldError?.path === 'newPassword' ? fieldError.message : 'At least 10 characters. A few unrelated words are easy to remember and hard to guess.'}</div>
            </div>
            <div className="field">
              <label htmlFor="again-password">New password again</label>
              <input id="again-password" type="password" className={`input ${mismatch ? 'invalid' : ''}`} autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} data-testid="again-password" />
              {mismatch || fieldError?.path === 'again' ? <div className="error">The two new passwords differ.</div> : null}
            </div>
            <div>
              <Button type="submit" variant="primary" disabled={change.isPending || mismatch} data-testid="change-password">
                {change.isPending ? 'Saving…' : me.hasPassword ? 'Change password' : 'Set password'}
              </Button>
              <span className="hint" style={{ marginLeft: 10 }}>Your other sessions are signed out.</span>
            </div>
          </form>
        </Card>
      ) : null}
    </div>
  );
}
