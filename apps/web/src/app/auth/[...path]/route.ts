import { proxyToControlPlane } from '@/lib/api-proxy';

// The control plane's API on the dashboard's own origin (see lib/api-proxy.ts).
export const dynamic = 'force-dynamic';
export const GET = proxyToControlPlane;
export const POST = proxyToControlPlane;
