import type { Metadata } from 'next';
import { Suspense } from 'react';
import { TracesPage } from '@/components/traces/TracesPage';
import { Loading } from '@/components/ui';

export const metadata: Metadata = { title: 'Traces' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <TracesPage />
    </Suspense>
  );
}
