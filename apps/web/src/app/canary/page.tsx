import type { Metadata } from 'next';
import { CanaryPage } from '@/components/canary/CanaryPage';

export const metadata: Metadata = { title: 'Canary' };

export default function Page() {
  return <CanaryPage />;
}
