import { NextResponse, type NextRequest } from 'next/server';

/**
 * Pages need a signed-in browser: without a session cookie the browser goes to the sign-in page, which
 * brings it back here afterwards. Whether the session is still good is the control plane's call (the
 * layout asks it). The path travels on as a request header, so the layout can send an ended session to
 * sign-in and back too.
 */
export function proxy(request: NextRequest) {
  const path = `${request.nextUrl.pathname}${request.nextUrl.search}`;
  if (!request.cookies.has('trellis_session')) {
    const signIn = new URL('/sign-in', request.url);
    if (path !== '/') signIn.searchParams.set('next', path);
    return NextResponse.redirect(signIn);
  }
  const headers = new Headers(request.headers);
  headers.set('x-trellis-path', path);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Everything but the API (passed to the control plane), the sign-in page, and Next's own files.
  matcher: ['/((?!trpc/|auth/|healthz|sign-in|_next/|icon\\.svg|favicon\\.ico).*)'],
};
