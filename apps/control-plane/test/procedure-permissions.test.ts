import { describe, expect, it } from 'vitest';
import { appRouter } from '../src/router/root.ts';
import { PERMISSIONS, SIGNED_IN, type ProcedureMeta } from '../src/auth/permissions.ts';

// The permission middleware refuses a procedure without meta at run time; this finds one before that,
// including procedures added later (join tokens, the CA) by anyone.
describe('every API procedure', () => {
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: ProcedureMeta } }>);

  it('declares the permission it needs', () => {
    expect(procedures.length).toBeGreaterThan(20);
    const missing = procedures.filter(([, p]) => !p._def.meta?.permission).map(([path]) => path);
    expect(missing, 'procedures without .meta({ permission })').toEqual([]);
    const unknown = procedures.filter(([, p]) => ![...PERMISSIONS, SIGNED_IN].includes(p._def.meta?.permission ?? '')).map(([path]) => path);
    expect(unknown).toEqual([]);
  });

  it('that writes policy names the namespaces it writes, so an editor can be limited to some', () => {
    const writes = procedures.filter(([, p]) => p._def.meta?.permission === 'policy:write');
    expect(writes.map(([path]) => path).sort()).toEqual(['resources.delete', 'resources.rollback', 'resources.upsert', 'resources.upsertMany']);
    for (const [path, p] of writes) expect(p._def.meta?.namespacesOf, path).toBeTypeOf('function');
  });

  it('only signed-in self-service is open to every role', () => {
    expect(procedures.filter(([, p]) => p._def.meta?.permission === SIGNED_IN).map(([path]) => path).sort()).toEqual(['auth.changePassword', 'auth.me']);
  });
});
