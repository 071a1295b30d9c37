import type { Metadata } from 'next';
import { Suspense } from 'react';
import { TapPage } from '@/components/tap/TapPage';
import { Loading } from '@/components/ui';

export const metadata: Metadata = { title: 'Live tap' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <TapPage />
    </Suspense>
  );
}
