import { describe, expect, it } from 'vitest';
import { formatIssues, snapshotSchema } from '../src/index.ts';
import { validSnapshot } from './support.ts';

/** The field paths a malformed snapshot is refused for, as the proxy would report them in a NACK. */
function refusedAt(input: unknown): string[] {
  const r = snapshotSchema.safeParse(input);
  if (r.success) throw new Error('expected the snapshot to be refused');
  return formatIssues(r.error.issues).map((e) => e.path);
}

/** A deep copy of a valid snapshot, edited by `edit`. */
function edited(edit: (s: ReturnType<typeof validSnapshot> & Record<string, unknown>) => void): unknown {
  const s = structuredClone(validSnapshot(3)) as ReturnType<typeof validSnapshot> & Record<string, unknown>;
  edit(s);
  return s;
}

describe('snapshotSchema', () => {
  it('accepts a valid snapshot unchanged', () => {
    expect(snapshotSchema.parse(validSnapshot(3))).toEqual(validSnapshot(3));
  });

  it('survives a JSON round trip (what goes over the stream and onto disk)', () => {
    const s = validSnapshot(9);
    expect(snapshotSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('fills in empty endpoint labels', () => {
    const input = edited((s) => {
      const endpoint = s.outbound.services[0]?.endpoints[0] as Record<string, unknown>;
      delete endpoint.labels;
    });
    expect(snapshotSchema.parse(input).outbound.services[0]?.endpoints[0]?.labels).toEqual({});
  });

  it('refuses version 0 and fractional versions', () => {
    expect(refusedAt({ ...validSnapshot(), version: 0 })).toEqual(['version']);
    expect(refusedAt({ ...validSnapshot(), version: 1.5 })).toEqual(['version']);
  });

  it('refuses a snapshot without a catch-all inbound route', () => {
    expect(refusedAt(edited((s) => (s.inbound.routes = [])))).toEqual(['inbound.routes']);
  });

  it('refuses an outbound service with no hostnames or no routes', () => {
    expect(refusedAt(edited((s) => s.outbound.services[0] && (s.outbound.services[0].hostnames = [])))).toEqual(['outbound.services[0].hostnames']);
    expect(refusedAt(edited((s) => s.outbound.services[0] && (s.outbound.services[0].routes = [])))).toEqual(['outbound.services[0].routes']);
  });

  it('refuses endpoints with impossible ports', () => {
    expect(
      refusedAt(
        edited((s) => {
          const endpoint = s.outbound.services[0]?.endpoints[1];
          if (endpoint) endpoint.port = 0;
        }),
      ),
    ).toEqual(['outbound.services[0].endpoints[1].port']);
  });

  it('refuses compiled policies out of bounds, naming the field', () => {
    expect(
      refusedAt(
        edited((s) => {
          const retry = s.outbound.services[0]?.routes[0]?.policies.retry;
          if (retry) retry.attempts = 11;
        }),
      ),
    ).toEqual(['outbound.services[0].routes[0].policies.retry.attempts']);
    expect(
      refusedAt(
        edited((s) => {
          const split = s.outbound.services[0]?.routes[0]?.policies.split;
          if (split) split.backends = [];
        }),
      ),
    ).toEqual(['outbound.services[0].routes[0].policies.split.backends']);
  });

  it('refuses a sampling rate above 1 and an unknown balancing algorithm', () => {
    expect(refusedAt(edited((s) => (s.tracing.sampling = 2)))).toEqual(['tracing.sampling']);
    expect(
      refusedAt(
        edited((s) => {
          const svc = s.outbound.services[0] as unknown as { loadBalancer: { algorithm: string } };
          svc.loadBalancer.algorithm = 'Random';
        }),
      ),
    ).toEqual(['outbound.services[0].loadBalancer.algorithm']);
  });

  it('refuses a snapshot missing whole sections', () => {
    const { mesh: _m, tracing: _t, ...partial } = validSnapshot();
    expect(refusedAt(partial).sort()).toEqual(['mesh', 'tracing']);
  });
});
