import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PolicyList } from '@/components/policies/PolicyList';
import { Loading } from '@/components/ui';

export const metadata: Metadata = { title: 'Policies' };

export default function Page() {
  return (
    <Suspense fallback={<Loading />}>
      <PolicyList />
    </Suspense>
  );
}
