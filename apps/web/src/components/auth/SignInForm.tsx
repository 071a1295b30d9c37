'use client';

import { useState } from 'react';
import { Button, Spinner } from '../ui';

interface Props {
  /** Where to go once signed in (a dashboard path). */
  next: string;
  sso: { label: string } | null;
  notice: { tone: 'error' | 'info'; text: string } | null;
}

/** The sign-in page: name and password (the control plane throttles failures and says so), or SSO. */
export function SignInForm({ next, sso, notice }: Props) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const submit = async () => {
    setPending(true);
    setError(null);
    try {
      const res = await fetch('/auth/sign-in', {
        method: 'POST',
        // The custom header is what a form on another site cannot send (login CSRF).
        headers: { 'content-type': 'application/json', 'x-trellis-csrf': 'sign-in' },
        body: JSON.stringify({ username, password }),
      });
      if (res.ok) {
        window.location.assign(next);
        return;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      const message = body.error?.message ?? `the control plane answered ${res.status}`;
      setError(res.status === 401 ? 'Wrong username or password.' : message.charAt(0).toUpperCase() + message.slice(1));
      setPassword('');
    } catch {
      setError('Cannot reach the dashboard server. Check that it is running and try again.');
    }
    setPending(false);
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card card" data-testid="sign-in">
        <div className="signin-brand">
          <svg width="26" height="26" viewBox="0 0 24 24" aria-hidden>
            <path d="M4 4l16 16M20 4L4 20M12 2v20M2 12h20" stroke="#4f46e5" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <h1>Sign in to Trellis</h1>
        </div>
        {notice ? (
          <div className={`signin-notice ${notice.tone === 'error' ? 'form-errors' : 'banner-info'}`} role={notice.tone === 'error' ? 'alert' : 'status'} data-testid="sign-in-notice">
            {notice.text}
          </div>
        ) : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <div className="field">
            <label htmlFor="username">Username</label>
            <input id="username" className="input" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={username} onChange={(e) => setUsername(e.target.value)} data-testid="sign-in-username" autoFocus />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" type="password" className="input" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} data-testid="sign-in-password" />
          </div>
          {error ? (
            <div className="form-errors" role="alert" data-testid="sign-in-error">
              {error}
            </div>
          ) : null}
          <Button type="submit" variant="primary" className="signin-submit" disabled={pending} data-testid="sign-in-submit">
            {pending ? <Spinner /> : null} Sign in
          </Button>
        </form>
        {sso ? (
          <>
            <div className="signin-or">
              <span>or</span>
            </div>
            {/* A plain link: the browser leaves for the issuer and comes back signed in. */}
            <a className="btn btn-md signin-sso" href={`/auth/oidc/start?next=${encodeURIComponent(next)}`} data-testid="sign-in-sso">
              {sso.label}
            </a>
          </>
        ) : null}
        <p className="hint signin-help">
          No account yet? An admin can invite you (Users &amp; tokens, or <span className="mono">trellis users create</span>). Forgot your password? Ask an admin for a sign-in link.
        </p>
      </div>
    </main>
  );
}
