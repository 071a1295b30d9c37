import type { Metadata } from 'next';
import { ProxiesPage } from '@/components/proxies/ProxiesPage';

export const metadata: Metadata = { title: 'Proxies' };

export default function Page() {
  return <ProxiesPage />;
}
