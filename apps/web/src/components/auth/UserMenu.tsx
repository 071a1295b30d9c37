'use client';

import Link from 'next/link';
import { useState } from 'react';
import { isAdmin } from '@/lib/permissions';
import { csrfToken } from '@/lib/session';
import { toast } from '@/lib/toast';
import { Icon } from '../icons';
import { useMe } from '../Providers';

/** Ends this browser's session and goes to the sign-in page. */
export async function signOut(): Promise<void> {
  try {
    await fetch('/auth/sign-out', { method: 'POST', headers: { 'x-trellis-csrf': csrfToken() } });
  } catch {
    // Unreachable: the cookie is cleared by the sign-in page's next sign-in anyway; say it and go.
    toast('Could not reach the control plane to end the session on the server.', 'error');
  }
  window.location.assign('/sign-in?signedOut=1');
}

/** Who is signed in, with their role; opens to the account page, Users & tokens (admins) and sign out. */
export function UserMenu() {
  const me = useMe();
  const [busy, setBusy] = useState(false);
  if (!me) {
    return (
      <div className="user-btn" data-testid="user-menu" title="The control plane could not be asked who you are">
        <Icon name="user" size={14} /> …
      </div>
    );
  }
  const scope = me.namespaces.length ? ` in ${me.namespaces.join(', ')}` : '';
  return (
    <details className="user-menu" data-testid="user-menu">
      <summary className="user-btn" aria-label={`Signed in as ${me.name}, ${me.role}${scope}. Account menu`}>
        <Icon name="user" size={14} />
        <span className="user-name" data-testid="user-name">
          {me.kind === 'user' ? me.name : `token:${me.name}`}
        </span>
        <span className="role-chip" data-testid="user-role">
          {me.role}
        </span>
      </summary>
      <div className="user-menu-pop" role="menu">
        <div className="user-menu-who">
          Signed in as <strong>{me.name}</strong>
          <div className="hint">
            {me.role}
            {scope}
          </div>
        </div>
        <Link href="/account" role="menuitem" className="user-menu-item" data-testid="menu-account">
          <Icon name="lock" size={14} /> Your account
        </Link>
        {isAdmin(me) ? (
          <Link href="/users" role="menuitem" className="user-menu-item" data-testid="menu-users">
            <Icon name="users" size={14} /> Users &amp; tokens
          </Link>
        ) : null}
        <button
          type="button"
          role="menuitem"
          className="user-menu-item"
          disabled={busy}
          data-testid="sign-out"
          onClick={() => {
            setBusy(true);
            void signOut();
          }}
        >
          <Icon name="signout" size={14} /> Sign out
        </button>
      </div>
    </details>
  );
}
