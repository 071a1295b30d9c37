'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { useConnectivity } from '@/lib/connectivity';
import { isAdmin } from '@/lib/permissions';
import { useToasts } from '@/lib/toast';
import { UserMenu } from './auth/UserMenu';
import { Icon, type IconName } from './icons';
import { useDashboardConfig, useMe } from './Providers';

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

/** The corner where toast() messages show (saved, refused, signed out…); read aloud by screen readers. */
function Toasts() {
  const toasts = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.tone === 'error' ? 'toast-error' : ''}`} data-testid="toast">
          {t.message}
          {t.link ? (
            <>
              {' '}
              <Link href={t.link.href} className="toast-link" data-testid="toast-link">
                {t.link.label}
              </Link>
            </>
          ) : null}
          {t.warnings?.length ? (
            <ul className="toast-warnings" data-testid="toast-warnings">
              {t.warnings.map((w) => (
                <li key={w}>⚠ {w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}

const ADMIN_NAV: { href: string; label: string; icon: IconName }[] = [{ href: '/users', label: 'Users & tokens', icon: 'users' }];

export function Shell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const { server } = useDashboardConfig();
  const me = useMe();
  const { reachable, live } = useConnectivity();
  const nav = isAdmin(me) ? [...NAV, ...ADMIN_NAV] : NAV;
  // Under 768 px the navigation folds into a bar with a menu button; it folds again once a page is chosen.
  const [menuOpen, setMenuOpen] = useState(false);
  const [shownFor, setShownFor] = useState(pathname);
  if (shownFor !== pathname) {
    setShownFor(pathname);
    setMenuOpen(false);
  }
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <nav className={menuOpen ? 'nav nav-open' : 'nav'} aria-label="Main">
        {/* No prefetching: every page is rendered per request (the layout asks the control plane who is
            signed in), so prefetching the menu is a dozen server renders while the page itself loads. */}
        <Link href="/graph" className="brand" aria-label="Trellis home" prefetch={false}>
          <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden>
            <path d="M4 4l16 16M20 4L4 20M12 2v20M2 12h20" stroke="#a5b4fc" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <span>Trellis</span>
        </Link>
        <span className={`nav-bar-status dot ${reachable ? 'dot-healthy' : 'dot-failing'}`} title={reachable ? 'Control plane reachable' : 'Control plane unreachable'} aria-hidden />
        <button type="button" className="nav-toggle" aria-expanded={menuOpen} aria-controls="nav-menu" onClick={() => setMenuOpen((o) => !o)} data-testid="nav-toggle">
          <Icon name={menuOpen ? 'close' : 'menu'} size={20} />
          <span>Menu</span>
        </button>
        <ul id="nav-menu">
          {nav.map((item) => {
            const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
            return (
              <li key={item.href}>
                <Link href={item.href} prefetch={false} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined} data-testid={`nav-${item.href.slice(1)}`}>
                  <Icon name={item.icon} />
                  <span>{item.label}</span>
                </Link>
              </li>
            );
          })}
        </ul>
        <div className="nav-footer">
          <div className="conn" title={server} data-testid="connection-status">
            <span className={`dot ${reachable ? (live === 'connecting' || live === 'closed' ? 'dot-degraded' : 'dot-healthy') : 'dot-failing'}`} aria-hidden />
            <span>{reachable ? (live === 'connecting' ? 'Connecting…' : live === 'closed' ? 'Reconnecting…' : 'Live') : 'Unreachable'}</span>
          </div>
          <div className="conn-server mono">{server.replace(/^https?:\/\//, '')}</div>
          <UserMenu />
        </div>
      </nav>
      <div className="main-wrap">
        <UnreachableBanner />
        <Toasts />
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
