import { API_VERSION, type Resource, type ResourceKind } from '@trellis/shared';
import type { Resource as ResourceRow } from '../generated/prisma/client.ts';

/** The Kubernetes-shaped object users see for a stored row; resourceVersion is the revision number. */
export function toResource(row: ResourceRow): Resource {
  const labels = row.labels as Record<string, string>;
  const annotations = row.annotations as Record<string, string>;
  return {
    apiVersion: API_VERSION,
    kind: row.kind as ResourceKind,
    metadata: {
      name: row.name,
      namespace: row.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      resourceVersion: String(row.revision),
      creationTimestamp: row.createdAt.toISOString(),
      uid: row.id,
    },
    spec: row.spec,
  } as Resource;
}

/** What a revision keeps: the resource without server-set metadata, so diffs show only what people changed. */
export function revisionBody(resource: Resource): Resource {
  const { resourceVersion: _rv, creationTimestamp: _ct, uid: _uid, ...metadata } = resource.metadata;
  const { status: _status, ...rest } = resource;
  return { ...rest, metadata };
}

/** Deterministic JSON for comparing two resources. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
