import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResource, type MetricsReport, type ResourceOf } from '@trellis/shared';
import { compileSnapshot } from '../src/compiler/compile.ts';
import { PolicyIndex } from '../src/compiler/policy-index.ts';
import { EndpointRegistry } from '../src/discovery/registry.ts';
import { Scaler, SCALE_UP_DEDUPE_MS, type ScaleRequest } from '../src/scaling/scaler.ts';
import { commandScaleHook, httpScaleHook } from '../src/scaling/hooks.ts';
import { startTestControlPlane } from './support/control-plane.ts';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { connectTestProxy } from './support/stream.ts';

// ScaleToZeroPolicy in the control plane, in process: compiled into callers' snapshots (the service stays
// in them with no endpoint), the scaler's idle timer and scale-up de-duplication on a fake clock, and the
// hooks outside Kubernetes: a proxy's scale-up message reaching the control plane's HTTP hook.

function policy(spec: Record<string, unknown>, name = 'fn-scale-to-zero'): ResourceOf<'ScaleToZeroPolicy'> {
  const parsed = parseResource({ apiVersion: 'trellis.dev/v1alpha1', kind: 'ScaleToZeroPolicy', metadata: { name, namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: 'fn' }, ...spec } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.resource as ResourceOf<'ScaleToZeroPolicy'>;
}

const edge = (destination: string, ok: number): MetricsReport => ({
  at: 0,
  intervalMs: 1000,
  edges: [{ source: 'client.default', destination, route: 'default', side: 'outbound', codes: { '2xx': ok, '3xx': 0, '4xx': 0, '5xx': 0 }, latency: {}, retries: 0, rateLimited: 0, ejections: 0 }],
});

describe('ScaleToZeroPolicy compiled', () => {
  it('keeps a service scaled to zero in its callers’ snapshots, with the hold bounds', () => {
    const index = new PolicyIndex([policy({ idleTimeout: '1m', hold: { timeout: '2s', maxRequests: 7 } })]);
    const snap = compileSnapshot('client', 'default', index, new EndpointRegistry(), { defaultSampling: 1, trustDomain: 'trellis.local' });
    const fn = snap.outbound.services.find((s) => s.name === 'fn');
    expect(fn?.endpoints).toEqual([]);
    expect(fn?.scaleFromZero).toEqual({ holdMs: 2000, maxHeld: 7 });
    expect(index.scaleToZeroPolicies().get('fn.default')?.spec.idleTimeout).toBe('1m');
  });

  it('leaves services without the policy as they were', () => {
    const registry = new EndpointRegistry();
    registry.upsert({ service: 'other', namespace: 'default', source: 'proxy', address: '10.0.0.1', port: 1, labels: {} });
    const snap = compileSnapshot('client', 'default', new PolicyIndex([]), registry, { defaultSampling: 1, trustDomain: 'trellis.local' });
    expect(snap.outbound.services[0]?.scaleFromZero).toBeUndefined();
  });
});

describe('the scaler', () => {
  function setup(spec: Record<string, unknown> = { idleTimeout: '30s' }) {
    let now = 1_000_000;
    const calls: ScaleRequest[] = [];
    let release: (() => void) | undefined;
    let slow = false;
    let failing = false;
    const policies = new Map([['fn.default', policy(spec)]]);
    const scaler = new Scaler({
      policies: () => policies,
      hook: (r) => {
        calls.push(r);
        if (failing) return Promise.reject(new Error('hook down'));
        return slow ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      log: () => {},
      now: () => now,
    });
    const flush = () => new Promise((r) => setTimeout(r, 0));
    return {
      scaler,
      calls,
      policies,
      advance: (ms: number) => (now += ms),
      flush,
      slowly: () => (slow = true),
      fail: (f: boolean) => (failing = f),
      release: () => release?.(),
    };
  }

  it('scales a service to zero once it has served no request for idleTimeout, and only once', async () => {
    const t = setup();
    t.scaler.check();
    t.advance(20_000);
    t.scaler.observe(edge('fn.default', 3));
    t.advance(20_000);
    t.scaler.check();
    expect(t.calls).toEqual([]);
    // Requests that got no answer from the service count too (a caller wanted it); other services do not.
    t.scaler.observe(edge('other.default', 10));
    t.advance(10_001);
    t.scaler.check();
    await t.flush();
    expect(t.calls).toEqual([{ service: 'fn', namespace: 'default', replicas: 0, workload: { kind: 'Deployment', name: 'fn' } }]);
    expect(t.scaler.isAtZero('fn.default')).toBe(true);
    t.advance(60_000);
    t.scaler.check();
    await t.flush();
    expect(t.calls).toHaveLength(1);
  });

  it('scales up on a proxy’s request with the policy’s replicas and workload, once for the repeats that follow', async () => {
    const t = setup({ idleTimeout: '30s', replicas: 2, workload: { kind: 'StatefulSet', name: 'fn-set' } });
    t.scaler.check(); // first seen: its idle time starts
    t.advance(30_000);
    t.scaler.check();
    await t.flush();
    expect(await t.scaler.scaleUp('fn.default', 'client-1')).toBe('scaled');
    expect(t.calls.map((c) => c.replicas)).toEqual([0, 2]);
    expect(t.calls[1]?.workload).toEqual({ kind: 'StatefulSet', name: 'fn-set' });
    // The proxy asks again every 2 s while its requests wait: the scale-up just made answers them.
    t.advance(2000);
    expect(await t.scaler.scaleUp('fn.default', 'client-1')).toBe('already');
    expect(await t.scaler.scaleUp('fn.default', 'client-2')).toBe('already');
    expect(t.calls).toHaveLength(2);
    t.advance(SCALE_UP_DEDUPE_MS);
    expect(await t.scaler.scaleUp('fn.default', 'client-1')).toBe('scaled');
    expect(t.calls).toHaveLength(3);
    // Woken means active: the idle time starts again from the scale-up.
    t.advance(29_000);
    t.scaler.check();
    expect(t.calls).toHaveLength(3);
    expect(await t.scaler.scaleUp('nothing.default', 'client-1')).toBe('no-policy');
  });

  it('makes one scale call at a time: asks during a slow scale-up wait for it', async () => {
    const t = setup();
    t.slowly();
    const first = t.scaler.scaleUp('fn.default', 'a');
    const second = t.scaler.scaleUp('fn.default', 'b');
    await t.flush();
    expect(t.calls).toHaveLength(1);
    t.release();
    expect(await first).toBe('scaled');
    expect(await second).toBe('already');
  });

  it('a failed scale-down is tried again after another idle period; a failed scale-up on the next ask', async () => {
    const t = setup();
    t.fail(true);
    t.scaler.check();
    t.advance(30_000);
    t.scaler.check();
    await t.flush();
    t.advance(1000);
    t.scaler.check();
    await t.flush();
    expect(t.calls).toHaveLength(1);
    expect(t.scaler.isAtZero('fn.default')).toBe(false);
    expect(await t.scaler.scaleUp('fn.default', 'a')).toBe('failed');
    t.fail(false);
    expect(await t.scaler.scaleUp('fn.default', 'a')).toBe('scaled');
    expect(t.calls.map((c) => c.replicas)).toEqual([0, 1, 1]);
  });

  it('forgets a service whose policy was deleted', async () => {
    const t = setup();
    t.scaler.check();
    t.policies.clear();
    t.advance(60_000);
    t.scaler.check();
    await t.flush();
    expect(t.calls).toEqual([]);
  });
});

describe('scale hooks outside Kubernetes', () => {
  const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

  /** A control plane on a fresh database whose scale hook is an HTTP server here; `heard` sees each call. */
  async function withScaleHook(
    heard: (call: { method?: string; url?: string; body: unknown }) => void,
    options: { endpointGraceMs?: number },
    run: (env: Awaited<ReturnType<typeof startTestControlPlane>>) => Promise<void>,
  ): Promise<void> {
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        heard({ method: req.method, url: req.url, body: JSON.parse(body) as unknown });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const db = await createDatabase();
    const env = await startTestControlPlane({ ...db.options, ...options, scaling: { hookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/scale` } });
    try {
      await run(env);
    } finally {
      await env.cp.close();
      await db.cleanup();
      hook.close();
    }
  }

  it('a proxy’s scale-up message reaches the HTTP hook of a control plane started with --scale-hook-url', async () => {
    const posted: unknown[] = [];
    await withScaleHook((call) => posted.push(call), {}, async ({ cp, client }) => {
      await client.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'ScaleToZeroPolicy', metadata: { name: 'fn', namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: 'fn' }, idleTimeout: '1h' } } });
      const caller = await connectTestProxy(cp.url, { service: 'client', instance: 'client-1' });
      await caller.next((s) => s.outbound.services.some((o) => o.name === 'fn' && o.scaleFromZero !== undefined));
      expect(caller.client.send({ type: 'scale-up', service: 'fn', namespace: 'default' })).toBe(true);
      const deadline = Date.now() + 5000;
      while (posted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(posted).toEqual([{ method: 'POST', url: '/scale', body: { service: 'fn', namespace: 'default', replicas: 1 } }]);
      await caller.client.close();
    });
  }, 60_000);

  it('lists the proxy of a service scaled to zero as "scaled to zero", not as a lost proxy', async () => {
    const posted: unknown[] = [];
    // Proxies that left stay listed for the grace period (30 s here, long enough to look at them).
    await withScaleHook((call) => posted.push(call.body), { endpointGraceMs: 30_000 }, async ({ cp, client }) => {
      const fn = await connectTestProxy(cp.url, { service: 'fn', instance: 'fn-1' });
      const other = await connectTestProxy(cp.url, { service: 'other', instance: 'other-1' });
      await fn.first();
      await other.first();
      // Both leave; only fn is scaled down (idle for its policy's 1 s), so only fn's proxy left on purpose.
      await fn.client.close();
      await other.client.close();
      await client.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'ScaleToZeroPolicy', metadata: { name: 'fn', namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: 'fn' }, idleTimeout: '1s' } } });
      const row = async (instance: string) => (await client.proxies.list.query()).find((p) => p.instance === instance);
      const deadline = Date.now() + 10_000;
      while (!(await row('fn-1'))?.scaledToZero && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(posted).toEqual([{ service: 'fn', namespace: 'default', replicas: 0 }]);
      expect(await row('fn-1')).toMatchObject({ connected: false, scaledToZero: true });
      expect(await row('other-1')).toMatchObject({ connected: false, scaledToZero: false });
    });
  }, 60_000);

  it('the HTTP hook fails on a non-2xx answer with its text; the command hook gets service, namespace and replicas', async () => {
    const refusing = http.createServer((_req, res) => res.writeHead(500).end('no capacity\n'));
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/`;
    const request: ScaleRequest = { service: 'fn', namespace: 'shop', replicas: 1, workload: { kind: 'Deployment', name: 'fn' } };
    await expect(httpScaleHook(url)(request)).rejects.toThrow(`the scale hook ${url} answered 500: no capacity`);
    refusing.close();

    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'trellis-scale-')), 'called');
    await commandScaleHook(`echo >${JSON.stringify(out)}`)(request);
    expect((await readFile(out, 'utf8')).trim()).toBe('fn shop 1');
    await expect(commandScaleHook('echo nope >&2; exit 3')(request)).rejects.toThrow('the scale command exited 3: nope');
  });
});
