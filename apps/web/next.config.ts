import type { NextConfig } from 'next';

const config: NextConfig = {
  // The shared zod schemas are TypeScript source (the forms validate with the server's own schemas).
  transpilePackages: ['@trellis/shared'],
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm run typecheck` checks the dashboard (and the API types it imports); doing it again inside
  // `next build` only makes `trellis up` slower on a fresh clone.
  typescript: { ignoreBuildErrors: true },
  devIndicators: false,
};

export default config;
