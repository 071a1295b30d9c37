'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { useConnectivity } from '@/lib/connectivity';
import { Icon, type IconName } from './icons';
import { currentUser, setCurrentUser, useDashboardConfig } from './Providers';

const NAV: { href: string; label: string; icon: IconName }[] = [
  { href: '/graph', label: 'Service graph', icon: 'graph' },
  { href: '/traces', label: 'Traces', icon: 'traces' },
  { href: '/policies', label: 'Policies', icon: 'policies' },
  { href: '/canary', label: 'Canary', icon: 'canary' },
  { href: '/proxies', label: 'Proxies', icon: 'proxies' },
  { href: '/security', label: 'Security', icon: 'security' },
  { href: '/tap', label: 'Live tap', icon: 'tap' },
];

/** Shown while the control plane cannot be reached; it goes away by itself when the control plane answers. */
function UnreachableBanner() {
  const { server } = useDashboardConfig();
  const { reachable, since } = useConnectivity();
  const [, tick] = useState(0);
  useEffect(() => {
    if (reachable) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [reachable]);
  if (reachable) return null;
  const seconds = since ? Math.round((Date.now() - since) / 1000) : 0;
  return (
    <div className="banner banner-error" role="alert" data-testid="unreachable-banner">
      <strong>Can’t reach the control plane</strong> at <span className="mono">{server}</span> for {seconds} s. Retrying every 2 s — what you see may be out of date.
    </div>
  );
}

function UserName() {
  const { defaultUser } = useDashboardConfig();
  const [name, setName] = useState(defaultUser);
  const [editing, setEditing] = useState(false);
  useEffect(() => setName(currentUser(defaultUser)), [defaultUser]);
  if (editing) {
    return (
      <form
        className="user-form"
        onSubmit={(e) => {
          e.preventDefault();
          setCurrentUser(name);
          setName(currentUser(defaultUser));
          setEditing(false);
        }}
      >
        <input aria-label="Your name (recorded as the author of changes)" value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={200} onBlur={(e) => e.currentTarget.form?.requestSubmit()} />
      </form>
    );
  }
  return (
    <button type="button" className="user-btn" onClick={() => setEditing(true)} title="Changes you make are recorded under this name. Click to change it." data-testid="user-name">
      <Icon name="user" size={14} /> {name}
    </button>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const { server } = useDashboardConfig();
  const { reachable, live } = useConnectivity();
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <nav className="nav" aria-label="Main">
        <Link href="/graph" className="brand" aria-label="Trellis home">
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden>
            <path d="M4 4l16 16M20 4L4 20M12 2v20M2 12h20" stroke="#a5b4fc" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <span>Trellis</span>
        </Link>
        <ul>
          {NAV.map((item) => {
            const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
            return (
              <li key={item.href}>
                <Link href={item.href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined} data-testid={`nav-${item.href.slice(1)}`}>
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="nav-footer">
          <div className="conn" title={server} data-testid="connection-status">
            <span className={`dot ${reachable ? (live === 'open' ? 'dot-healthy' : 'dot-degraded') : 'dot-failing'}`} aria-hidden />
            <span>{reachable ? (live === 'open' ? 'Live' : 'Connecting…') : 'Unreachable'}</span>
          </div>
          <div className="conn-server mono">{server.replace(/^https?:\/\//, '')}</div>
          <UserName />
        </div>
      </nav>
      <div className="main-wrap">
        <UnreachableBanner />
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
