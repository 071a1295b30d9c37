import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ScaleHook } from '../scaling/scaler.ts';
import { apiMessage, apiStatus, loadKubeConfig } from './kubeconfig.ts';

/**
 * In Kubernetes: scales the policy's workload (a Deployment, or a StatefulSet) through its scale
 * subresource, with a merge patch of `spec.replicas` (RBAC: patch on deployments/scale, statefulsets/scale).
 * A scale-up leaves a workload that already has replicas as it is (a HorizontalPodAutoscaler may own it).
 */
export function kubernetesScaleHook(kubeconfig: string | undefined): ScaleHook {
  const api = loadKubeConfig(kubeconfig).makeApiClient(AppsV1Api);
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return async ({ namespace, replicas, workload }) => {
    const { kind, name } = workload;
    const where = `${kind} ${namespace}/${name}`;
    try {
      if (replicas > 0) {
        const current = kind === 'Deployment' ? await api.readNamespacedDeploymentScale({ name, namespace }) : await api.readNamespacedStatefulSetScale({ name, namespace });
        if ((current.spec?.replicas ?? 0) > 0) return;
      }
      const body = { spec: { replicas } };
      if (kind === 'Deployment') await api.patchNamespacedDeploymentScale({ name, namespace, body }, mergePatch);
      else await api.patchNamespacedStatefulSetScale({ name, namespace, body }, mergePatch);
    } catch (err) {
      const status = apiStatus(err);
      const hint = status === 404 ? ` (no such ${kind}: name it in the policy's spec.workload)` : status === 403 ? ' (the control plane needs patch on its scale subresource)' : '';
      throw new Error(`${where}: ${apiMessage(err)}${hint}`);
    }
  };
}
