import { injectPodTemplate, InjectionError, type InjectionConfig, type PodTemplate } from './injection.ts';
import { jsonPatch, podTemplateOf, type JsonPatchOperation, type Workload } from './workloads.ts';

// The mutating admission webhook (AdmissionReview v1): the API server sends the object being created, we
// answer with a JSON patch that adds the proxy. Two hooks in one MutatingWebhookConfiguration call it:
// one for namespaces labelled trellis.dev/inject=enabled (every pod is injected unless it opts out), one
// for the others (only pods that opt in by annotation). Which one called is in the path, so the webhook
// never has to look the namespace up.

export const ADMISSION_PATHS = {
  /** Called for pods in namespaces labelled trellis.dev/inject=enabled. */
  namespace: '/v1/admission/inject/namespace',
  /** Called for pods elsewhere: injected only with the pod annotation trellis.dev/inject=enabled. */
  pod: '/v1/admission/inject/pod',
} as const;

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  operation?: string;
  object?: unknown;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    patchType?: 'JSONPatch';
    /** base64 of the JSON patch. */
    patch?: string;
    status?: { code: number; message: string };
    warnings?: string[];
  };
}

/** The AdmissionReview answer to one request body; `namespaceEnabled` from the path it came on. */
export function reviewAdmission(body: unknown, config: InjectionConfig, namespaceEnabled: boolean): AdmissionReview {
  const request = (body as { request?: AdmissionRequest } | null)?.request;
  if (!request || typeof request.uid !== 'string') throw new InjectionError('request.uid: not an AdmissionReview (admission.k8s.io/v1) request');
  const answer = (response: Omit<AdmissionReview['response'], 'uid'>): AdmissionReview => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: request.uid, ...response },
  });
  const object = request.object as Workload | undefined;
  let template: PodTemplate | undefined;
  try {
    template = object ? podTemplateOf(object) : undefined;
  } catch (err) {
    return answer({ allowed: true, warnings: [`trellis: not injected: ${(err as Error).message}`] });
  }
  if (!object || !template) return answer({ allowed: true });
  try {
    const workloadName = object.kind === 'Pod' ? undefined : object.metadata?.name;
    const { pod, decision } = injectPodTemplate(template, config, { namespaceEnabled, ...(workloadName ? { workloadName } : {}) });
    if (!decision.inject) return answer({ allowed: true });
    const patch: JsonPatchOperation[] = jsonPatch(object, pod);
    return answer({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
  } catch (err) {
    // A pod we cannot inject as written is refused with the field named, not started without its proxy.
    if (err instanceof InjectionError) return answer({ allowed: false, status: { code: 400, message: `trellis: ${err.message}` } });
    throw err;
  }
}
