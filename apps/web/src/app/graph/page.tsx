import type { Metadata } from 'next';
import { Suspense } from 'react';
import { GraphPage } from '@/components/graph/GraphPage';
import { Loading } from '@/components/ui';

export const metadata: Metadata = { title: 'Service graph' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <GraphPage />
    </Suspense>
  );
}
