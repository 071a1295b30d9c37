import { procedure, router } from './trpc.ts';

export const proxiesRouter = router({
  /**
   * Connected proxies (and those that left within the grace period): identity, applied version, in sync,
   * last seen. A proxy that left because its service was scaled to zero says so: it is not a failure.
   */
  list: procedure.meta({ permission: 'mesh:read' }).query(({ ctx }) =>
    ctx.stream.list().map((p) => ({ ...p, scaledToZero: !p.connected && (ctx.scaledToZero?.(`${p.service}.${p.namespace}`) ?? false) })),
  ),
});
