import type { Metadata, Viewport } from 'next';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { Providers } from '@/components/Providers';
import { Shell } from '@/components/Shell';
import { serverEnv } from '@/env';
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
  return (
    <html lang="en">
      <body>
        <Providers config={{ server: env.TRELLIS_SERVER, defaultUser: env.TRELLIS_USER }}>
          <Shell>{children}</Shell>
        </Providers>
      </body>
    </html>
  );
}
