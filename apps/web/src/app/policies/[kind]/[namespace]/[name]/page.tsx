import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PolicyEditor } from '@/components/policies/PolicyEditor';
import { isEditableKind } from '@/lib/policies';

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: (await params).name };
}

export default async function Page({ params }: { params: Promise<{ kind: string; namespace: string; name: string }> }) {
  const { kind, namespace, name } = await params;
  if (!isEditableKind(kind)) notFound();
  return <PolicyEditor key={`${kind}/${namespace}/${name}`} kind={kind} name={decodeURIComponent(name)} namespace={decodeURIComponent(namespace)} />;
}
