import { knownServices, resolveSource } from '../compiler/compile.ts';
import type { ControlPlaneServices } from '../services.ts';

/** A proxy's certificate is "expiring" once less than this share of the certificate lifetime is left. */
const EXPIRING_SHARE = 1 / 3;

/**
 * The mesh's security at a glance (the dashboard's Security page, `trellis check`): the trust bundle
 * and its rotation, each service's mTLS mode and identities with its proxies' certificates, and who may
 * call it (its AuthorizationPolicies with service names resolved to the identities the proxy matches).
 */
export function securityOverview({ identity, rotation, distributor, registry, stream }: Pick<ControlPlaneServices, 'identity' | 'rotation' | 'distributor' | 'registry' | 'stream'>) {
  const index = distributor.policyIndex;
  const proxies = stream.list().filter((p) => p.connected);
  const now = Date.now();
  const ttl = identity.certTtlMs;
  const services = knownServices(index, registry).map((key) => {
    const [name = '', namespace = ''] = key.split('.');
    const own = proxies.filter((p) => p.service === name && p.namespace === namespace);
    const policies = index.allOf('AuthorizationPolicy', key).map((p) => ({
      id: `${p.metadata.namespace}/${p.metadata.name}`,
      name: p.metadata.name,
      namespace: p.metadata.namespace,
      action: p.spec.action,
      target: p.spec.targetRef.kind === 'Namespace' ? `namespace ${p.spec.targetRef.name}` : `service ${p.spec.targetRef.name}`,
      rules: p.spec.rules.map((r) => ({
        from: r.from,
        identities: [...new Set(r.from.flatMap((f) => resolveSource(f, namespace, registry, identity.trustDomain)))],
        paths: r.paths ?? [],
        methods: r.methods ?? [],
      })),
    }));
    const allows = policies.filter((p) => p.action === 'Allow');
    return {
      name,
      namespace,
      mtlsMode: index.mtlsMode(key),
      identity: identity.identityOf(name, namespace),
      proxies: own.map((p) => ({ instance: p.instance, identity: p.identity, certificate: p.certificate, bundleVersion: p.bundleVersion })),
      authorization: {
        policies,
        /** Without an Allow policy every caller is let in (unless a Deny matches); with one, only what it allows. */
        default: allows.length === 0 ? ('allow' as const) : ('deny' as const),
      },
    };
  });
  const expiring = proxies
    .flatMap((p) => (p.certificate ? [{ instance: p.instance, service: `${p.service}.${p.namespace}`, identity: p.identity, notAfter: p.certificate.notAfter }] : []))
    .filter((c) => new Date(c.notAfter).getTime() - now < ttl * EXPIRING_SHARE)
    .sort((a, b) => a.notAfter.localeCompare(b.notAfter));
  const bundle = identity.ca.bundle();
  return {
    trustDomain: identity.trustDomain,
    certificateTtlMs: ttl,
    bundle: { version: bundle.version, roots: identity.ca.describeRoots(), issuingRoot: identity.ca.issuing.rootId, operatorManaged: identity.ca.operatorManaged },
    rotation: rotation.status(),
    services,
    expiring,
    /** Connected proxies that have not acknowledged the current trust bundle, or hold no certificate. */
    behind: proxies.filter((p) => p.bundleVersion < bundle.version || !p.certificate).map((p) => ({ instance: p.instance, service: `${p.service}.${p.namespace}`, bundleVersion: p.bundleVersion, certificate: p.certificate })),
  };
}

export type SecurityOverview = ReturnType<typeof securityOverview>;
