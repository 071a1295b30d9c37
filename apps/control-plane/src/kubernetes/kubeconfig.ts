import { KubeConfig } from '@kubernetes/client-node';

/** A kubeconfig file, or the usual places (KUBECONFIG, ~/.kube/config, in-cluster) without one. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

/** The HTTP status of a failed Kubernetes API call (client-node's ApiException carries it as `code`). */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The message of a failed API call: the Status object's message when the server sent one. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === 'string') return status.message;
    } catch {
      // not JSON: fall through to the error's own message
    }
  }
  return (err as Error)?.message ?? String(err);
}
