import type { Metadata } from 'next';
import { AccountPage } from '@/components/auth/AccountPage';

export const metadata: Metadata = { title: 'Your account' };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  return <AccountPage welcome={!!(await searchParams).welcome} />;
}
