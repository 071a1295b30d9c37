import type { Metadata } from 'next';
import { connection } from 'next/server';
import { SignInForm } from '@/components/auth/SignInForm';
import { serverEnv } from '@/env';
import { fetchSignInOptions, safeNext } from '@/lib/session';

export const metadata: Metadata = { title: 'Sign in' };

/** Why the browser is here, from the query string the control plane or the dashboard sent it with. */
function notice(sp: Record<string, string | string[] | undefined>): { tone: 'error' | 'info'; text: string } | null {
  const one = (k: string) => (Array.isArray(sp[k]) ? sp[k][0] : sp[k]);
  switch (one('error')) {
    case 'link':
      return { tone: 'error', text: 'This sign-in link was already used or has expired. Ask an admin for a new one.' };
    case 'sso':
      return { tone: 'error', text: `Single sign-on did not work: ${one('message') ?? 'the issuer refused'}.` };
    case 'sso-off':
      return { tone: 'error', text: 'Single sign-on is not set up on this control plane. Sign in with your password.' };
  }
  if (one('expired')) return { tone: 'info', text: 'Your session has ended. Sign in again to go back to where you were.' };
  if (one('signedOut')) return { tone: 'info', text: 'You are signed out.' };
  return null;
}

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await connection();
  const sp = await searchParams;
  const next = safeNext(Array.isArray(sp.next) ? sp.next[0] : sp.next);
  const { sso } = await fetchSignInOptions(serverEnv().TRELLIS_SERVER);
  return <SignInForm next={next} sso={sso} notice={notice(sp)} />;
}
