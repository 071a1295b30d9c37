import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMISSION_PATHS, reviewAdmission } from './admission-webhook.ts';
import { InjectionError } from './injection.ts';

/** What the control plane needs to inject proxies (set by `trellis control-plane --proxy-image`). */
export interface InjectorSettings {
  image: string;
  /** The control plane's URL inside the cluster, for the proxies it injects. */
  controlPlaneUrl: string;
}

export function isAdmissionPath(path: string | undefined): boolean {
  return path === ADMISSION_PATHS.namespace || path === ADMISSION_PATHS.pod;
}

/**
 * Answers one AdmissionReview POST (its body already read into req.body). Served over TLS only, as the
 * API server calls it (it checks our certificate against the caBundle install wrote); the roots put into
 * injected pods are the CA's current bundle.
 */
export function serveAdmission(req: IncomingMessage & { body?: string }, res: ServerResponse, injector: InjectorSettings | undefined, trustRoots: () => string[]): void {
  const send = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (!(req.socket instanceof tls.TLSSocket)) return send(426, { message: 'the admission webhook is served over TLS only' });
  if (req.method !== 'POST') return send(405, { message: 'POST an AdmissionReview (admission.k8s.io/v1)' });
  if (!injector) return send(404, { message: 'sidecar injection is off: start the control plane with --proxy-image IMAGE --in-cluster-url URL' });
  let body: unknown;
  try {
    body = JSON.parse(req.body ?? '');
  } catch {
    return send(400, { message: 'the body is not JSON: POST an AdmissionReview (admission.k8s.io/v1)' });
  }
  try {
    const review = reviewAdmission(body, { image: injector.image, controlPlaneUrl: injector.controlPlaneUrl, trustRoots: trustRoots().join('\n') }, (req.url ?? '').split('?')[0] === ADMISSION_PATHS.namespace);
    send(200, review);
  } catch (err) {
    if (err instanceof InjectionError) return send(400, { message: err.message });
    throw err;
  }
}
