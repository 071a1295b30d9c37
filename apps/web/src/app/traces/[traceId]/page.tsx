import type { Metadata } from 'next';
import { TracePage } from '@/components/traces/TracePage';

export const metadata: Metadata = { title: 'Trace' };

export default async function Page({ params }: { params: Promise<{ traceId: string }> }) {
  const { traceId } = await params;
  return <TracePage traceId={traceId} />;
}
