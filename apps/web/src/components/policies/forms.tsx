'use client';

import { RETRY_ON } from '@trellis/shared';
import { getAt } from '@/lib/paths';
import { writableNamespaces } from '@/lib/permissions';
import { useMe } from '../Providers';
import type { EditableKind } from '@/lib/policies';
import { Button } from '../ui';
import { AuthorizationForm } from './AuthorizationForm';
import { ChecksField, LabelsField, NumberField, OptionalSection, Section, SelectField, TextField, fieldTestId, useForm } from './fields';
import { CacheForm, LoadBalancerForm, MirrorForm } from './traffic-forms';
import { MutualTlsForm } from './MutualTlsForm';

/** Name (when creating) and the Gateway-API style target: a service, optionally one of its routes. */
function TargetSection({ routes: withRoutes = true }: { routes?: boolean }) {
  const { draft, services, creating } = useForm();
  // An editor limited to some namespaces picks one of them; everyone else types any.
  const scope = writableNamespaces(useMe());
  const target = getAt(draft, 'spec.targetRef.name') as string | undefined;
  const ns = (getAt(draft, 'spec.targetRef.namespace') as string | undefined) ?? (getAt(draft, 'metadata.namespace') as string | undefined) ?? 'default';
  const names = [...new Set(services.filter((s) => s.namespace === ns).map((s) => s.name))].sort();
  if (target && !names.includes(target)) names.unshift(target);
  const routes = services.find((s) => s.name === target && s.namespace === ns)?.routes ?? [];
  return (
    <Section title="Target" blurb="The service this policy attaches to, optionally narrowed to one of its routes.">
      <div className="form-grid">
        {creating ? (
          <>
            <TextField path="metadata.name" label="Name" help="Lowercase letters, digits and “-”." mono />
            {scope ? (
              <SelectField path="metadata.namespace" label="Namespace" options={scope} help="The namespaces you may change." />
            ) : (
              <TextField path="metadata.namespace" label="Namespace" mono />
            )}
          </>
        ) : null}
        <SelectField path="spec.targetRef.name" label="Service" options={names} />
        {withRoutes ? (
          <SelectField path="spec.targetRef.route" label="Route" optional options={routes} help={routes.length ? 'Leave empty for every route.' : 'This service declares no routes.'} />
        ) : null}
      </div>
    </Section>
  );
}

function RetryForm() {
  return (
    <>
      <Section title="Attempts" blurb="Applied by the callers’ proxies. Only requests that are safe to repeat are retried.">
        <div className="form-grid">
          <NumberField path="spec.attempts" label="Attempts" help="Total tries including the first one (1–10)." min={1} max={10} />
          <TextField path="spec.perTryTimeout" label="Per-try timeout" optional placeholder="500ms" help="Each attempt gives up after this long." mono />
        </div>
        <div style={{ height: 12 }} />
        <ChecksField path="spec.retryOn" label="Retry on" options={RETRY_ON} />
      </Section>
      <Section title="Backoff" blurb="Jittered exponential backoff between attempts.">
        <div className="form-grid">
          <TextField path="spec.backoff.baseInterval" label="Base interval" placeholder="25ms" mono />
          <TextField path="spec.backoff.maxInterval" label="Max interval" placeholder="250ms" mono />
        </div>
      </Section>
      <Section title="Retry budget" blurb="Retries allowed as a share of live requests plus a floor, so an outage cannot turn into a retry storm.">
        <div className="form-grid">
          <NumberField path="spec.budget.ratio" label="Budget ratio" step={0.05} min={0} max={1} help="0.2 = at most one retry per five requests." />
          <NumberField path="spec.budget.minRetriesPerSecond" label="Minimum retries/s" min={0} />
        </div>
      </Section>
    </>
  );
}

function RateLimitForm() {
  const { draft } = useForm();
  const keyType = getAt(draft, 'spec.key.type');
  return (
    <>
      <Section title="Limit" blurb="A token bucket enforced by the target’s own proxies; requests over it get 429.">
        <div className="form-grid">
          <NumberField path="spec.requestsPerSecond" label="Requests per second" step={1} min={0} help="Refill rate of the bucket." />
          <NumberField path="spec.burst" label="Burst" optional min={1} help="Bucket size; defaults to the rate." />
        </div>
      </Section>
      <Section title="Buckets" blurb="One bucket for everyone, one per calling service, or one per value of a header.">
        <div className="form-grid">
          <SelectField
            path="spec.key.type"
            label="Key"
            options={[
              { value: 'None', label: 'One bucket for all callers' },
              { value: 'SourceService', label: 'One bucket per calling service' },
              { value: 'Header', label: 'One bucket per header value' },
            ]}
          />
          {keyType === 'Header' ? <TextField path="spec.key.header" label="Header" placeholder="x-user-id" mono /> : <div />}
          <SelectField
            path="spec.mode"
            label="Mode"
            options={[
              { value: 'Local', label: 'Local (a bucket per proxy)' },
              { value: 'Global', label: 'Global (shared through Redis)' },
            ]}
          />
          <SelectField
            path="spec.failureMode"
            label="When Redis is unreachable"
            options={[
              { value: 'Open', label: 'Let traffic through' },
              { value: 'Closed', label: 'Refuse traffic' },
            ]}
          />
        </div>
      </Section>
    </>
  );
}

function TrafficSplitForm() {
  const { draft, set, error } = useForm();
  const backends = (getAt(draft, 'spec.backends') as { name: string; selector: Record<string, string>; weight: number }[] | undefined) ?? [];
  const total = backends.reduce((s, b) => s + (Number.isFinite(b.weight) ? b.weight : 0), 0);
  const listError = error('spec.backends');
  return (
    <Section title="Backends" blurb="Subsets of the service’s endpoints, chosen by labels, and the share of requests each gets. Weights add up to 100.">
      <div className="form" data-testid={fieldTestId('spec.backends')}>
        {backends.map((b, i) => (
          <div key={i} className="form-grid" style={{ gridTemplateColumns: '1fr 1fr 110px auto', alignItems: 'start' }}>
            <TextField path={`spec.backends[${i}].name`} label="Name" mono />
            <LabelsField path={`spec.backends[${i}].selector`} label="Selector" />
            <NumberField path={`spec.backends[${i}].weight`} label="Weight %" min={0} max={100} />
            <div className="field">
              <span className="label">&nbsp;</span>
              <Button size="md" variant="ghost" aria-label={`Remove backend ${b.name || i + 1}`} disabled={backends.length <= 1} onClick={() => set('spec.backends', backends.filter((_, j) => j !== i))}>
                Remove
              </Button>
            </div>
          </div>
        ))}
        <div className="toolbar">
          <Button size="sm" onClick={() => set('spec.backends', [...backends, { name: `v${backends.length + 1}`, selector: { version: `v${backends.length + 1}` }, weight: 0 }])} disabled={backends.length >= 16}>
            Add backend
          </Button>
          <span className="spacer" />
          <span className={total === 100 ? 'hint' : 'error'} style={total === 100 ? undefined : { color: 'var(--bad)', fontWeight: 600 }} data-testid="weights-total">
            Total {total}%
          </span>
        </div>
        {listError ? (
          <div className="error" style={{ color: 'var(--bad)' }} role="alert" data-testid={`${fieldTestId('spec.backends')}-error`}>
            {listError}
          </div>
        ) : null}
      </div>
    </Section>
  );
}

function CircuitBreakerForm() {
  return (
    <>
      <OptionalSection path="spec.limits" title="Limits" blurb="Caps on what one calling proxy sends this service; over them the caller gets a fast 503." defaults={{ maxConnections: 100, maxPendingRequests: 100 }}>
        <div className="form-grid" style={{ gridTemplateColumns: 'repeat(3, minmax(0, 1fr))' }}>
          <NumberField path="spec.limits.maxConnections" label="Max connections" optional min={1} />
          <NumberField path="spec.limits.maxPendingRequests" label="Max pending" optional min={1} />
          <NumberField path="spec.limits.maxRequests" label="Max requests" optional min={1} />
        </div>
      </OptionalSection>
      <OptionalSection path="spec.outlierDetection" title="Outlier detection" blurb="Endpoints that fail repeatedly are ejected from load balancing for a while." defaults={{ consecutiveErrors: 5, baseEjectionTime: '30s', maxEjectionTime: '5m', maxEjectionPercent: 50 }}>
        <div className="form-grid">
          <NumberField path="spec.outlierDetection.consecutiveErrors" label="Consecutive errors" min={1} />
          <NumberField path="spec.outlierDetection.maxEjectionPercent" label="Max ejected %" min={0} max={100} />
          <TextField path="spec.outlierDetection.baseEjectionTime" label="Base ejection time" mono />
          <TextField path="spec.outlierDetection.maxEjectionTime" label="Max ejection time" mono />
        </div>
      </OptionalSection>
    </>
  );
}

function TimeoutForm() {
  return (
    <Section title="Timeouts" blurb="Past the request timeout the caller gets 504; retries are included in it.">
      <div className="form-grid">
        <TextField path="spec.request" label="Request timeout" placeholder="2s" mono help="Like 250ms, 2s or 1m." />
        <TextField path="spec.idle" label="Idle timeout" optional placeholder="30s" mono help="Longest silence on an open response." />
      </div>
    </Section>
  );
}

function FaultForm() {
  return (
    <>
      <OptionalSection path="spec.delay" title="Delay" blurb="Hold a share of the requests for a while before sending them on." defaults={{ percentage: 10, duration: '200ms' }}>
        <div className="form-grid">
          <NumberField path="spec.delay.percentage" label="Share of requests %" min={0} max={100} step={0.1} />
          <TextField path="spec.delay.duration" label="Delay" mono />
        </div>
      </OptionalSection>
      <OptionalSection path="spec.abort" title="Abort" blurb="Answer a share of the requests with an error instead of sending them on." defaults={{ percentage: 5, httpStatus: 503 }}>
        <div className="form-grid">
          <NumberField path="spec.abort.percentage" label="Share of requests %" min={0} max={100} step={0.1} />
          <NumberField path="spec.abort.httpStatus" label="HTTP status" min={400} max={599} />
        </div>
      </OptionalSection>
    </>
  );
}

function ScaleToZeroForm() {
  return (
    <>
      <Section title="Idle" blurb="After this long without a request, the control plane scales the service’s workload to zero replicas.">
        <div className="form-grid">
          <TextField path="spec.idleTimeout" label="Idle time" placeholder="5m" mono help="Like 30s, 5m or 1h." />
          <NumberField path="spec.replicas" label="Replicas on wake-up" min={1} max={1000} help="What a scale-up asks for." />
        </div>
      </Section>
      <Section title="Holding requests" blurb="While the service has no endpoint, callers’ proxies hold its requests and ask for a scale-up; past these bounds a request gets 503.">
        <div className="form-grid">
          <TextField path="spec.hold.timeout" label="Hold time" placeholder="30s" mono help="How long one request waits for the first endpoint." />
          <NumberField path="spec.hold.maxRequests" label="Held requests" min={1} max={10000} help="Per caller proxy; more get 503 at once." />
        </div>
      </Section>
      <OptionalSection path="spec.workload" title="Kubernetes workload" blurb="Which workload’s scale subresource changes; by default the Deployment named like the service." defaults={{ kind: 'Deployment', name: '' }}>
        <div className="form-grid">
          <SelectField path="spec.workload.kind" label="Kind" options={['Deployment', 'StatefulSet']} />
          <TextField path="spec.workload.name" label="Name" mono />
        </div>
      </OptionalSection>
    </>
  );
}

const FORMS: Record<EditableKind, () => React.JSX.Element> = {
  TrafficSplit: TrafficSplitForm,
  RetryPolicy: RetryForm,
  RateLimitPolicy: RateLimitForm,
  CircuitBreakerPolicy: CircuitBreakerForm,
  TimeoutPolicy: TimeoutForm,
  FaultPolicy: FaultForm,
  LoadBalancerPolicy: LoadBalancerForm,
  MirrorPolicy: MirrorForm,
  CachePolicy: CacheForm,
  AuthorizationPolicy: AuthorizationForm,
  MutualTLSPolicy: MutualTlsForm,
  ScaleToZeroPolicy: ScaleToZeroForm,
};

/** Kinds that may target a whole namespace or the mesh bring their own target section (ScopeTarget.tsx). */
const OWN_TARGET: ReadonlySet<EditableKind> = new Set(['AuthorizationPolicy', 'MutualTLSPolicy']);

export function PolicyForm({ kind }: { kind: EditableKind }) {
  const Form = FORMS[kind];
  return (
    <div className="form" data-testid={`form-${kind}`}>
      {OWN_TARGET.has(kind) ? null : <TargetSection routes={kind !== 'ScaleToZeroPolicy'} />}
      <Form />
    </div>
  );
}
