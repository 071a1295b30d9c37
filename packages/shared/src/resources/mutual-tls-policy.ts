import { z } from 'zod';
import { defineKind } from './define.ts';
import { dnsLabel } from './common.ts';

export const MTLS_MODES = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

/** What a MutualTLSPolicy covers: the whole mesh, one namespace, or one service. */
export const mtlsScope = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('Mesh') }),
    z.strictObject({ kind: z.literal('Namespace'), name: dnsLabel }),
    z.strictObject({ kind: z.literal('Service'), name: dnsLabel, namespace: dnsLabel.optional() }),
  ],
  { error: 'kind must be "Mesh", "Namespace" or "Service"' },
);

/**
 * How a service's proxies accept inbound connections (Istio's PeerAuthentication). STRICT: only mutual
 * TLS from mesh proxies (the default when no policy says otherwise); PERMISSIVE: mutual TLS from the
 * mesh and plain HTTP from callers outside it, who are "external"; DISABLE: plain HTTP only. The most
 * specific policy wins: Service over Namespace over Mesh.
 */
export const mutualTlsPolicySpec = z.strictObject({
  targetRef: mtlsScope,
  mode: z.enum(MTLS_MODES, { error: 'must be STRICT, PERMISSIVE or DISABLE' }),
});

export const mutualTlsPolicyResource = defineKind('MutualTLSPolicy', mutualTlsPolicySpec);
export type MutualTlsPolicySpec = z.infer<typeof mutualTlsPolicySpec>;
