// Workload identities are SPIFFE IDs: spiffe://<trust domain>/ns/<namespace>/sa/<service account>.
// Outside Kubernetes the service account is the service's name, so "payments" in "default" is
// spiffe://trellis.local/ns/default/sa/payments.

export const DEFAULT_TRUST_DOMAIN = 'trellis.local';

/** The control plane's own identity: proxies check that the stream's server presents it. */
export const CONTROL_PLANE_NAMESPACE = 'trellis-system';
export const CONTROL_PLANE_SERVICE_ACCOUNT = 'trellis-control-plane';

const SEGMENT = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const TRUST_DOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export interface SpiffeParts {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

export function isTrustDomain(text: string): boolean {
  return text.length <= 255 && TRUST_DOMAIN.test(text);
}

export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The parts of a Trellis SPIFFE ID, or undefined when the text is not one. */
export function parseSpiffeId(id: string): SpiffeParts | undefined {
  if (!id.startsWith('spiffe://')) return undefined;
  const [trustDomain = '', ns, namespace = '', sa, serviceAccount = '', ...rest] = id.slice(9).split('/');
  if (rest.length > 0 || ns !== 'ns' || sa !== 'sa') return undefined;
  if (!isTrustDomain(trustDomain) || !SEGMENT.test(namespace) || !SEGMENT.test(serviceAccount)) return undefined;
  return { trustDomain, namespace, serviceAccount };
}

/**
 * An identity pattern: a SPIFFE ID where the trust domain, namespace or service account may be "*", and a
 * final "*" may stand for the rest: "spiffe://trellis.local/ns/shop/*" is every identity in namespace shop.
 */
export function isIdentityPattern(text: string): boolean {
  if (!text.startsWith('spiffe://') || text.length > 1024) return false;
  const [trustDomain = '', ...segments] = text.slice(9).split('/');
  if (trustDomain !== '*' && !isTrustDomain(trustDomain)) return false;
  const part = (s: string | undefined) => s === '*' || (s !== undefined && SEGMENT.test(s));
  const [ns, namespace, sa, serviceAccount] = segments;
  if (segments.length === 1) return ns === '*';
  if (ns !== 'ns' || !part(namespace)) return false;
  if (segments.length === 3) return sa === '*';
  return segments.length === 4 && sa === 'sa' && part(serviceAccount);
}

/** Compiles an identity pattern to a predicate over SPIFFE IDs. */
export function identityMatcher(pattern: string): (id: string) => boolean {
  if (!pattern.includes('*')) return (id) => id === pattern;
  const [trustDomain = '', ...segments] = pattern.slice(9).split('/');
  const tail = segments[segments.length - 1] === '*' && segments.length > 0;
  return (id) => {
    if (!id.startsWith('spiffe://')) return false;
    const [td = '', ...parts] = id.slice(9).split('/');
    if (trustDomain !== '*' && trustDomain !== td) return false;
    // A trailing "*" covers one or more remaining segments; elsewhere "*" is exactly one.
    if (tail ? parts.length < segments.length : parts.length !== segments.length) return false;
    return segments.every((s, i) => s === '*' || s === parts[i]);
  };
}

/**
 * A join token: `<id>.<secret>.<pin>`. The id names it (lists, revocation); the control plane keeps only a
 * hash of the secret; the pin is the sha256 of the root certificate's public key the proxy must find at
 * the control plane (kubeadm's discovery hash), so a token cannot make a proxy trust another control plane.
 */
export interface JoinTokenParts {
  id: string;
  secret: string;
  pin: string;
}

const JOIN_TOKEN = /^([0-9a-f]{12})\.([A-Za-z0-9_-]{43})\.(sha256-[A-Za-z0-9_-]{43})$/;

export function parseJoinToken(token: string): JoinTokenParts | undefined {
  const m = JOIN_TOKEN.exec(token.trim());
  if (!m) return undefined;
  const [, id = '', secret = '', pin = ''] = m;
  return { id, secret, pin };
}
