import { type PodTemplate } from './injection.ts';

// Where a pod template sits in each kind of workload, and the JSON patch (RFC 6902) from a workload to
// the same workload with its pod template replaced. Shared by the webhook and `trellis inject`.

export interface Workload {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export type JsonPatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** The kinds whose pods injection reaches, and the path from the object to its pod template. */
const TEMPLATE_PATHS: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export function isWorkloadKind(kind: unknown): kind is string {
  return typeof kind === 'string' && Object.hasOwn(TEMPLATE_PATHS, kind);
}

/** The pod template of a workload (a Pod is its own); undefined for other kinds. */
export function podTemplateOf(object: Workload): PodTemplate | undefined {
  if (!isWorkloadKind(object.kind)) return undefined;
  let node: unknown = object;
  for (const key of TEMPLATE_PATHS[object.kind] ?? []) node = (node as Record<string, unknown> | undefined)?.[key];
  const template = node as PodTemplate | undefined;
  const where = [...(TEMPLATE_PATHS[object.kind] ?? []), 'spec', 'containers'].join('.');
  if (!template || typeof template !== 'object' || !Array.isArray(template.spec?.containers)) throw new Error(`${object.kind} ${object.metadata?.name ?? ''}: ${where} is missing`);
  return template;
}

/** The workload with `template` in place of its pod template (a new object; the input is unchanged). */
export function withPodTemplate<T extends Workload>(object: T, template: PodTemplate): T {
  const path = TEMPLATE_PATHS[object.kind ?? ''] ?? [];
  const set = (node: Record<string, unknown>, keys: string[]): Record<string, unknown> => {
    const [key, ...rest] = keys;
    if (key === undefined) return template as unknown as Record<string, unknown>;
    return { ...node, [key]: set((node[key] ?? {}) as Record<string, unknown>, rest) };
  };
  return set(object, path) as T;
}

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The patch from `object` to `object` with `template` as its pod template: one operation per pod-spec
 * field and annotation that changed (whole arrays: containers, initContainers, volumes), so the API server
 * applies it to exactly the object it sent.
 */
export function jsonPatch(object: Workload, template: PodTemplate): JsonPatchOperation[] {
  const before = podTemplateOf(object);
  if (!before) return [];
  const base = `/${(TEMPLATE_PATHS[object.kind ?? ''] ?? []).map(escape).join('/')}`.replace(/\/$/, '');
  const ops: JsonPatchOperation[] = [];
  const beforeMeta = before.metadata ?? {};
  const afterAnnotations = template.metadata?.annotations ?? {};
  if (beforeMeta.annotations === undefined && Object.keys(afterAnnotations).length > 0) {
    if (before.metadata === undefined) ops.push({ op: 'add', path: `${base}/metadata`, value: { annotations: afterAnnotations } });
    else ops.push({ op: 'add', path: `${base}/metadata/annotations`, value: afterAnnotations });
  } else {
    for (const [key, value] of Object.entries(afterAnnotations)) {
      if (beforeMeta.annotations?.[key] !== value) ops.push({ op: 'add', path: `${base}/metadata/annotations/${escape(key)}`, value });
    }
    for (const key of Object.keys(beforeMeta.annotations ?? {})) if (!(key in afterAnnotations)) ops.push({ op: 'remove', path: `${base}/metadata/annotations/${escape(key)}` });
  }
  const keys = new Set([...Object.keys(before.spec), ...Object.keys(template.spec)]);
  for (const key of keys) {
    const was = before.spec[key];
    const now = template.spec[key];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    if (now === undefined) ops.push({ op: 'remove', path: `${base}/spec/${escape(key)}` });
    else ops.push({ op: was === undefined ? 'add' : 'replace', path: `${base}/spec/${escape(key)}`, value: now });
  }
  return ops;
}
