'use client';

import { MTLS_MODES } from '@trellis/shared';
import { getAt } from '@/lib/paths';
import { MTLS_MODE_INFO, isMtlsMode } from '@/lib/security';
import { Section, SelectField, useForm } from './fields';
import { ScopeTargetSection } from './ScopeTarget';

/** MutualTLSPolicy: how the target's proxies take inbound connections (Istio's PeerAuthentication). */
export function MutualTlsForm() {
  const { draft } = useForm();
  const mode = getAt(draft, 'spec.mode');
  return (
    <>
      <ScopeTargetSection kinds={['Service', 'Namespace', 'Mesh']} blurb="The most specific policy wins: a service’s own over its namespace’s over the mesh’s. Without any, services are STRICT." />
      <Section title="Mode" blurb="What the target’s inbound ports accept. Calls between proxies are always mutual TLS where the callee accepts it.">
        <div className="form-grid">
          <SelectField
            path="spec.mode"
            label="Inbound mode"
            options={MTLS_MODES.map((m) => ({ value: m, label: m }))}
            help={isMtlsMode(mode) ? `${mode}: ${MTLS_MODE_INFO[mode].says}.` : undefined}
          />
        </div>
        {mode === 'DISABLE' ? (
          <div className="banner-warn rule-note" role="note" data-testid="disable-warning">
            Requests to it travel in the clear and carry no verified identity: the graph shows its edges as plain HTTP, and AuthorizationPolicies see its callers as “external”.
          </div>
        ) : null}
      </Section>
    </>
  );
}
