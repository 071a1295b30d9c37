import type { Metadata, Viewport } from 'next';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { Providers } from '@/components/Providers';
import { Shell } from '@/components/Shell';
import { serverEnv } from '@/env';
import { currentMe } from '@/lib/server-session';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Trellis', template: '%s · Trellis' },
  description: 'Trellis service mesh dashboard',
};

export const viewport: Viewport = { width: 'device-width', initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, so TRELLIS_SERVER is read when the dashboard runs, not when it was built.
  await connection();
  const env = serverEnv();
  // Set by proxy.ts for every page but the sign-in page.
  const path = (await headers()).get('x-trellis-path');
  if (path === null) {
    return (
      <html lang="en">
        <body>
          <Providers config={{ server: env.TRELLIS_SERVER, me: null }}>{children}</Providers>
        </body>
      </html>
    );
  }
  const me = await currentMe();
  // The session ended (expired, revoked): sign in, and come back to this page.
  if (me === 'signed-out') redirect(`/sign-in?next=${encodeURIComponent(path)}&expired=1`);
  return (
    <html lang="en">
      <body>
        <Providers config={{ server: env.TRELLIS_SERVER, me }}>
          <Shell>{children}</Shell>
        </Providers>
      </body>
    </html>
  );
}
