import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PolicyEditor } from '@/components/policies/PolicyEditor';
import { isEditableKind } from '@/lib/policies';
import { NewPolicyPicker } from '@/components/policies/NewPolicyPicker';

export const metadata: Metadata = { title: 'New policy' };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? '';
  const kind = one(sp.kind);
  const target = one(sp.target);
  const namespace = one(sp.namespace) || 'default';
  if (!kind) return <NewPolicyPicker target={target} namespace={namespace} />;
  if (!isEditableKind(kind)) notFound();
  return <PolicyEditor key={`${kind}/${target}`} kind={kind} namespace={namespace} initialTarget={target} />;
}
