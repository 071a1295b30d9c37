'use client';

import { LB_ALGORITHMS } from '@trellis/shared';
import { getAt } from '@/lib/paths';
import { LabelsField, NumberField, Section, SelectField, SwitchField, TextField, useForm } from './fields';

/** Which endpoint of the target gets each request, as its callers' proxies choose. */
export function LoadBalancerForm() {
  const { draft, set } = useForm();
  const algorithm = getAt(draft, 'spec.algorithm');
  const hashOn = getAt(draft, 'spec.hashOn') as { header?: string; cookie?: string } | undefined;
  const hashKind = hashOn?.cookie !== undefined ? 'cookie' : 'header';
  return (
    <Section title="Balancing" blurb="Applied by the callers’ proxies when they pick one of the target’s endpoints.">
      <div className="form-grid">
        <SelectField
          path="spec.algorithm"
          label="Algorithm"
          options={LB_ALGORITHMS.map((a) => ({ value: a, label: { RoundRobin: 'Round robin', LeastRequest: 'Least requests', EWMA: 'Fastest (EWMA latency)', ConsistentHash: 'Consistent hash (sticky)' }[a] }))}
        />
        <SwitchField path="spec.localityAware" label="Prefer the caller’s zone" help="Fails over to other zones when the zone has no healthy endpoint." />
        {algorithm === 'ConsistentHash' ? (
          <>
            <div className="field">
              <label htmlFor="hash-on-kind">Hash on</label>
              <select
                id="hash-on-kind"
                className="select"
                value={hashKind}
                data-testid="field-spec-hashOn-kind"
                onChange={(e) => set('spec.hashOn', { [e.target.value]: hashOn?.header ?? hashOn?.cookie ?? '' })}
              >
                <option value="header">A header</option>
                <option value="cookie">A cookie</option>
              </select>
            </div>
            <TextField path={`spec.hashOn.${hashKind}`} label={hashKind === 'cookie' ? 'Cookie' : 'Header'} placeholder={hashKind === 'cookie' ? 'session' : 'x-user-id'} mono help="Requests with the same value go to the same endpoint." />
          </>
        ) : null}
      </div>
    </Section>
  );
}

/** A copy of a share of requests to a subset of the target (a new version under real traffic). */
export function MirrorForm() {
  return (
    <Section title="Mirror" blurb="The copy’s answer is thrown away; callers only ever see the original’s.">
      <div className="form-grid">
        <LabelsField path="spec.selector" label="Copy to endpoints labelled" />
        <NumberField path="spec.percentage" label="Share of requests %" min={0} max={100} step={0.1} />
      </div>
    </Section>
  );
}

/** A shared HTTP cache in front of the target, run by its own proxies. */
export function CacheForm() {
  return (
    <Section title="Cache" blurb="Responses the target marks cacheable (Cache-Control) are served from its proxies’ memory until they go stale.">
      <div className="form-grid">
        <NumberField path="spec.maxEntries" label="Max entries" min={1} />
        <NumberField path="spec.maxEntryBytes" label="Max bytes per entry" min={1} help="Larger responses pass through uncached." />
        <NumberField path="spec.maxTotalBytes" label="Max bytes in all" min={1} />
        <TextField path="spec.defaultTtl" label="Default freshness" optional placeholder="30s" mono help="For responses without max-age; empty: not cached." />
      </div>
    </Section>
  );
}
