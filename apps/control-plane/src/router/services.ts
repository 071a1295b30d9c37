import { listServices } from '../catalog.ts';
import { procedure, router } from './trpc.ts';

export const servicesRouter = router({
  /** Known services (declared, discovered or targeted) with endpoints and their proxies, routes, versions and policies. */
  list: procedure.meta({ permission: 'mesh:read' }).query(({ ctx }) => listServices(ctx)),
});
