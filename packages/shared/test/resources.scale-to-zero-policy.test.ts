import { describe, expect, it } from 'vitest';
import { accept, rejectAt, resource, target } from './support.ts';

const policy = (spec: Record<string, unknown>) => resource('ScaleToZeroPolicy', { targetRef: target('reports'), idleTimeout: '5m', ...spec }, { name: 'reports-scale-to-zero' });

describe('ScaleToZeroPolicy', () => {
  it('fills the hold bounds and replicas in when left out', () => {
    const r = accept('ScaleToZeroPolicy', policy({}));
    expect(r.spec).toEqual({ targetRef: { kind: 'Service', name: 'reports' }, idleTimeout: '5m', hold: { timeout: '30s', maxRequests: 100 }, replicas: 1 });
  });

  it('accepts a full example with a Kubernetes workload', () => {
    const r = accept('ScaleToZeroPolicy', policy({ idleTimeout: '90s', hold: { timeout: '2m', maxRequests: 20 }, replicas: 2, workload: { kind: 'StatefulSet', name: 'reports-db' } }));
    expect(r.spec.workload).toEqual({ kind: 'StatefulSet', name: 'reports-db' });
    expect(r.spec.hold).toEqual({ timeout: '2m', maxRequests: 20 });
  });

  it('requires idleTimeout, naming the field', () => {
    rejectAt(resource('ScaleToZeroPolicy', { targetRef: target('reports') }), 'spec.idleTimeout', /^is required$/);
  });

  it('refuses bounds out of range, naming each field', () => {
    rejectAt(policy({ idleTimeout: '500ms' }), 'spec.idleTimeout', /between 1s and 168h \(got 500ms\)/);
    rejectAt(policy({ hold: { timeout: '11m' } }), 'spec.hold.timeout', /between 100ms and 10m \(got 11m\)/);
    rejectAt(policy({ hold: { maxRequests: 0 } }), 'spec.hold.maxRequests', /at least 1/);
    rejectAt(policy({ hold: { maxRequests: 10_001 } }), 'spec.hold.maxRequests', /at most 10000/);
    rejectAt(policy({ replicas: 0 }), 'spec.replicas', /at least 1/);
  });

  it('scales a whole service: a route in targetRef is refused', () => {
    rejectAt(policy({ targetRef: target('reports', { route: 'export' }) }), 'spec.targetRef', /a whole service scales, not one route/);
  });

  it('names the workload kinds it can scale', () => {
    rejectAt(policy({ workload: { kind: 'DaemonSet', name: 'x' } }), 'spec.workload.kind', /one of Deployment, StatefulSet/);
    rejectAt(policy({ workload: { kind: 'Deployment', name: 'Not_A_Name' } }), 'spec.workload.name', /lowercase letters/);
  });
});
