import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { PolicyEditor } from '@/components/policies/PolicyEditor';
import { isEditableKind } from '@/lib/policies';

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: (await params).name };
}

export default async function Page({ params, searchParams }: { params: Promise<{ kind: string; namespace: string; name: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { kind, namespace, name } = await params;
  const { tab, revision } = await searchParams;
  if (!isEditableKind(kind)) notFound();
  // ?tab=history&revision=4 (a save's toast links there) opens History at that revision.
  const asked = tab === 'history' && typeof revision === 'string' && /^\d+$/.test(revision) ? Number(revision) : undefined;
  return <PolicyEditor key={`${kind}/${namespace}/${name}/${asked ?? ''}`} kind={kind} name={decodeURIComponent(name)} namespace={decodeURIComponent(namespace)} initialRevision={asked} />;
}
