import { procedure, router } from './trpc.ts';

export const proxiesRouter = router({
  /** Connected proxies (and those that left within the grace period): identity, applied version, in sync, last seen. */
  list: procedure.meta({ permission: 'mesh:read' }).query(({ ctx }) => ctx.stream.list()),
});
