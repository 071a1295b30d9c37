import { z } from 'zod';
import { defineKind } from './define.ts';
import { dnsLabel, routeMatch, serviceReference } from './common.ts';

/** A named route of a service; policies attach to it with targetRef.route. Routes are tried in order. */
export const serviceRoute = z.strictObject({
  name: dnsLabel,
  match: routeMatch,
});

export const serviceSpec = z
  .strictObject({
    ports: z
      .array(
        z.strictObject({
          name: dnsLabel.optional(),
          port: z.number().int().min(1).max(65535),
          protocol: z.enum(['http']).default('http'),
        }),
      )
      .max(16)
      .optional(),
    routes: z.array(serviceRoute).max(256).default([]),
    /**
     * The services this one calls (names, "name.namespace", or "*"). Its proxies get config for these only,
     * like Istio's Sidecar egress hosts. Omitted means every service in the mesh.
     */
    egress: z.array(serviceReference).max(1000, { error: 'at most 1000 services' }).optional(),
    /** Fraction of requests traced (0..1); errors and slow requests are always kept. */
    tracing: z
      .strictObject({
        sampling: z.number().min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `route "${r.name}" is defined twice` });
      seen.add(r.name);
    });
  });

export const serviceResource = defineKind('Service', serviceSpec);
export type ServiceRoute = z.infer<typeof serviceRoute>;
export type ServiceSpec = z.infer<typeof serviceSpec>;
