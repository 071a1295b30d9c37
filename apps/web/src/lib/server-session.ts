import { headers } from 'next/headers';
import { cache } from 'react';
import { serverEnv } from '@/env';
import { fetchMe, type Me } from './session';

/**
 * Who the browser's session belongs to, asked of the control plane once per page request: the layout
 * (which sends an ended session to sign in) and a page's own server fetches share the one answer.
 * A page that fetches data on the server waits for it first: the control plane answers one request at a
 * time, and a big request sent beside the session check (a 500-service graph) would hold the check, and
 * with it the page's first byte, until that request is built.
 */
export const currentMe = cache(async (): Promise<Me | 'signed-out' | null> => fetchMe(serverEnv().TRELLIS_SERVER, (await headers()).get('cookie') ?? ''));
