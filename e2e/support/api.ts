import { ADMIN_TOKEN, CONTROL_PLANE } from './env.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Calls the control plane's tRPC API directly (plain JSON, as the e2e admin's token), for setup and clean-up around a spec. */
export async function query<T>(procedure: string, input?: unknown): Promise<T> {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${CONTROL_PLANE}/trpc/${procedure}${qs}`, { headers: auth });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

export async function mutate<T>(procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${CONTROL_PLANE}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!res.ok || !body.result) throw new Error(`${procedure}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

export interface StoredResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

export const getResource = (kind: string, name: string, namespace = 'default') => query<StoredResource>('resources.get', { kind, name, namespace });

/** Puts a resource's spec back as it was (a new revision; history is never rewritten). */
export async function restore(resource: StoredResource, note: string): Promise<void> {
  const { apiVersion, kind, metadata, spec } = resource;
  await mutate('resources.apply', { resource: { apiVersion, kind, metadata: { name: metadata.name, namespace: metadata.namespace }, spec }, note });
}
