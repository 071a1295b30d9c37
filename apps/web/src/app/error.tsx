'use client';

import { ErrorState } from '@/components/ui';

export default function PageError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <div className="page-pad">
      <ErrorState title="This page hit an error" error={error} onRetry={reset} />
    </div>
  );
}
