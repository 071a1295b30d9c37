import { router } from './trpc.ts';
import { resourcesRouter } from './resources.ts';
import { servicesRouter } from './services.ts';
import { proxiesRouter } from './proxies.ts';
import { graphRouter } from './graph.ts';
import { metricsRouter } from './metrics.ts';
import { tracesRouter } from './traces.ts';
import { tapRouter } from './tap.ts';
import { authRouter } from './auth.ts';
import { usersRouter } from './users.ts';
import { tokensRouter } from './tokens.ts';
import { identityRouter } from './identity.ts';

export const appRouter = router({
  resources: resourcesRouter,
  services: servicesRouter,
  proxies: proxiesRouter,
  graph: graphRouter,
  metrics: metricsRouter,
  traces: tracesRouter,
  tap: tapRouter,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  identity: identityRouter,
});

/** The API's type, imported by the CLI and the dashboard (type only). */
export type AppRouter = typeof appRouter;
