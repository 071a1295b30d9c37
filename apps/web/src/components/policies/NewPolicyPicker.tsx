import Link from 'next/link';
import { EDITABLE_KINDS, KIND_INFO } from '@/lib/policies';
import { PageHeader } from '../ui';

/** "Add policy" from a service: pick the kind first. */
export function NewPolicyPicker({ target, namespace }: { target: string; namespace: string }) {
  return (
    <div className="page">
      <PageHeader title={target ? `Add a policy to ${target}` : 'New policy'} subtitle="Choose what the proxies should do." />
      <div className="kind-picker">
        {EDITABLE_KINDS.map((k) => (
          <Link key={k} href={`/policies/new?kind=${k}&target=${encodeURIComponent(target)}&namespace=${encodeURIComponent(namespace)}`} className="card" style={{ padding: 16, color: 'inherit' }}>
            <div style={{ fontWeight: 650, marginBottom: 4 }}>{KIND_INFO[k].label}</div>
            <div className="hint">{KIND_INFO[k].blurb}</div>
          </Link>
        ))}
      </div>
    </div>
  );
}
