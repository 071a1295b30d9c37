import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';

/** The audience a proxy's projected ServiceAccount token must be made for. */
export const TOKEN_AUDIENCE = 'trellis';

export type TokenReview = { ok: true; namespace: string; serviceAccount: string } | { ok: false; message: string };

/** Checks a ServiceAccount token; Kubernetes answers who it belongs to. */
export type TokenReviewer = (token: string) => Promise<TokenReview>;

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/**
 * ServiceAccount tokens checked by the Kubernetes API server (a TokenReview, with our audience), as
 * Istio and Linkerd do: the control plane never validates a token's signature itself.
 */
export function kubernetesTokenReviewer(kubeconfig: string | undefined): TokenReviewer {
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(AuthenticationV1Api);
  return async (token) => {
    let review;
    try {
      review = await api.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [TOKEN_AUDIENCE] } },
      });
    } catch (err) {
      return { ok: false, message: `the Kubernetes API could not review the token: ${(err as Error).message}` };
    }
    const status = review.status;
    if (!status?.authenticated) return { ok: false, message: `Kubernetes did not accept the ServiceAccount token${status?.error ? `: ${status.error}` : ''}` };
    if (!(status.audiences ?? []).includes(TOKEN_AUDIENCE)) return { ok: false, message: `the ServiceAccount token is not for audience "${TOKEN_AUDIENCE}" (project one with that audience)` };
    const m = SERVICE_ACCOUNT_USER.exec(status.user?.username ?? '');
    if (!m?.[1] || !m[3]) return { ok: false, message: `the token belongs to ${status.user?.username ?? 'nobody'}, not to a ServiceAccount` };
    return { ok: true, namespace: m[1], serviceAccount: m[3] };
  };
}
