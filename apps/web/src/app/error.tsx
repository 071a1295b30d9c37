'use client';

import Link from 'next/link';
import { ErrorState } from '@/components/ui';

/** A page that threw while drawing: said in words, with "try again" and a way out. */
export default function PageError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <div className="page">
      <ErrorState title="This page could not be shown" error={error} onRetry={reset} />
      <p className="hint">
        If it happens again, go to the <Link href="/graph">service graph</Link> and reload; the dashboard’s server log has the details.
      </p>
    </div>
  );
}
