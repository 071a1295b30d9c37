import { router } from './trpc.ts';
import { resourcesRouter } from './resources.ts';
import { servicesRouter } from './services.ts';
import { proxiesRouter } from './proxies.ts';

export const appRouter = router({
  resources: resourcesRouter,
  services: servicesRouter,
  proxies: proxiesRouter,
});

/** The API's type, imported by the CLI and the dashboard (type only). */
export type AppRouter = typeof appRouter;
