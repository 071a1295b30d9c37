// Graph scale benchmark: a synthetic mesh of 500 services and 2,000 edges fed to the dashboard's graph
// page through the real path, and how the page copes.
//
//   npm run bench:graph -- [--services 500] [--edges 2000] [--namespaces 10] [--seconds 15] [--loads 3]
//
// A real control plane (its own process, embedded PGlite) gets 500 Service resources; one simulated proxy
// per service (the real StreamClient, joined with a token) reports metric deltas for 2,000 edges every second, exactly as
// sidecars do; `next start` serves the production dashboard against it; headless Chromium opens the
// graph page. Printed: time to first render of the whole graph, and what one live update costs the
// page (its own sync + render time, main-thread long tasks, frames dropped) while updates keep coming.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@trellis/control-plane/router';
import { waitForLine } from '../lib/wait-for-line.ts';
import { syntheticMesh } from './mesh.ts';
import { reportMeshTraffic } from './reporters.ts';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '500' },
    edges: { type: 'string', default: '2000' },
    /** Services are spread over this many namespaces (team-0 ...), one in every N, so each spans every tier. */
    namespaces: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    /** Page loads to time the first render over (the median is reported). */
    loads: { type: 'string', default: '3' },
    chromium: { type: 'string', default: process.env.TRELLIS_CHROMIUM ?? '/usr/bin/chromium' },
    /** Leave the control plane, proxies and dashboard running after the figures (Ctrl-C stops them), to poke at the page. */
    keep: { type: 'boolean', default: false },
    /** Extra query string for the graph page (e.g. renderer=webgl). */
    query: { type: 'string', default: '' },
    /** Control plane on this port and the dashboard on the next one (default: any free ports). */
    port: { type: 'string', default: '0' },
  },
});
const SERVICES = Number(values.services);
const EDGES = Number(values.edges);
const NAMESPACES = Math.max(1, Number(values.namespaces));
const SECONDS = Number(values.seconds);
const LOADS = Math.max(1, Number(values.loads));
const PORT = Number(values.port);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webDir = path.join(root, 'apps/web');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '–');

/** The namespace of service i: one in every NAMESPACES services goes to each team. */
const namespaceOf = (i: number) => (NAMESPACES === 1 ? 'default' : `team-${i % NAMESPACES}`);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function ensureDashboardBuilt(): void {
  const buildId = path.join(webDir, '.next/BUILD_ID');
  if (existsSync(buildId) && statSync(buildId).mtimeMs > newestMtime(path.join(webDir, 'src'))) return;
  console.log('building the dashboard (next build) ...');
  const r = spawnSync('npm', ['run', 'build', '-w', '@trellis/web'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('next build failed');
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface PageFigures {
  firstDataMs: number | null;
  firstSyncMs: number | null;
  firstRenderMs: number | null;
  nodes: number;
  edges: number;
  updates: { at: number; syncMs: number; renderMs: number | null }[];
  longTasks: { start: number; duration: number }[];
  frames: number[];
}

/** The bench's control plane: an admin token in memory for setup, and the first admin's password for the browser. */
const BOOTSTRAP_TOKEN = 'trb_bench-graph-scale-token-0123456789';
const ADMIN_PASSWORD = 'bench admin password';

async function main() {
  ensureDashboardBuilt();
  const mesh = syntheticMesh(SERVICES, EDGES, namespaceOf);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'trellis-graph-scale-'));
  const children: ChildProcess[] = [];
  let traffic: Awaited<ReturnType<typeof reportMeshTraffic>> | undefined;
  try {
    console.log(`starting a control plane (PGlite in ${dataDir}) ...`);
    const cp = spawn(process.execPath, [path.join(root, 'apps/cli/bin/trellis.mjs'), 'control-plane', '--port', String(PORT), '--data-dir', dataDir], {
      env: { ...process.env, DATABASE_URL: '', TRELLIS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, TRELLIS_ADMIN_PASSWORD: ADMIN_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(cp);
    // A shared machine can take minutes to start it (and PGlite with it).
    const url = (await waitForLine(cp, /listening on (http:\/\/[\d.:]+)/, 'the control plane', 180_000))[1] ?? '';
    const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, maxItems: 50, headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } })] });

    const t0 = performance.now();
    await Promise.all(mesh.names.map((name, i) => api.resources.upsert.mutate({ resource: { apiVersion: 'trellis.dev/v1alpha1', kind: 'Service', metadata: { name, namespace: namespaceOf(i) }, spec: {} } })));
    console.log(`declared ${SERVICES} services in ${ms(performance.now() - t0)}`);

    // One proxy per service reports its edges every second, like sidecars: a proxy may report only its
    // own calls, and calls into it from outside the mesh.
    traffic = await reportMeshTraffic(url, mesh, namespaceOf, BOOTSTRAP_TOKEN);
    console.log(`${traffic.proxies} proxies report ${EDGES} edges every second; waiting for a full window ...`);
    await sleep(11_000);
    const graph = await api.graph.get.query({ windowSeconds: 10 });
    // What the graph page receives each second (graph.live without per-route figures) and, for comparison, the whole graph.
    const live = await api.graph.get.query({ windowSeconds: 10, routes: false });
    const mb = (v: unknown) => (JSON.stringify(v).length / 1e6).toFixed(2);
    console.log(`graph.get: ${graph.nodes.length} nodes, ${graph.edges.length} edges; ${mb(live)} MB of JSON as the page gets it (routes: false), ${mb(graph)} MB with per-route figures`);

    const port = PORT > 0 ? PORT + 1 : await freePort();
    const next = spawn(process.execPath, [path.join(root, 'node_modules/next/dist/bin/next'), 'start', '--port', String(port), '--hostname', '127.0.0.1'], {
      cwd: webDir,
      env: { ...process.env, TRELLIS_SERVER: url, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(next);
    await waitForLine(next, /Ready in/, 'next start', 180_000);

    const loadBefore = os.loadavg();
    const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // Signed in as the admin (the page's request context shares the browser's cookies).
      const signIn = await page.request.post(`http://127.0.0.1:${port}/auth/sign-in`, { headers: { 'x-trellis-csrf': 'bench' }, data: { username: 'admin', password: ADMIN_PASSWORD } });
      if (!signIn.ok()) throw new Error(`signing in to the dashboard failed: ${signIn.status()} ${await signIn.text()}`);
      // Given as text: tsx's keepNames helpers (__name) do not exist inside the page.
      await page.addInitScript({
        content: `
          window.__bench = { longTasks: [], frames: [] };
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, duration: e.duration });
          }).observe({ type: 'longtask', buffered: true });
          (function frame(t) {
            if (t !== undefined) window.__bench.frames.push(t);
            requestAnimationFrame(frame);
          })();
        `,
      });
      // A first visit warms the server (route modules load on first use); then time LOADS fresh loads.
      await page.goto(`http://127.0.0.1:${port}/proxies`);
      const drawnCounts = () => page.evaluate(() => {
        const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
        // Services and folded namespaces; the boxes drawn around unfolded namespaces (compound parents) apart.
        const drawn = cy?.nodes('[!box]');
        return { nodes: drawn?.length ?? 0, edges: cy?.edges().length ?? 0, ids: drawn?.map((n) => n.id()) ?? [], boxes: cy?.nodes('[?box]').filter((n) => n.isParent()).length ?? 0 };
      });
      const shot = (name: string) => page.screenshot({ path: path.join(root, `bench/graph-scale/${name}.png`) });
      /** LOADS fresh loads of the graph page with `query`: navigation start to first graph drawn, each. */
      const timeLoads = async (query: string) => {
        const loads: { data: number; sync: number; drawn: number }[] = [];
        for (let i = 0; i < LOADS; i++) {
          await page.goto(`http://127.0.0.1:${port}/graph?load=${i}${query ? `&${query}` : ''}${values.query ? `&${values.query}` : ''}`);
          await page.waitForFunction(() => (window as unknown as { __trellisGraph?: { firstRenderMs: number | null } }).__trellisGraph?.firstRenderMs != null, undefined, { timeout: 60_000 });
          loads.push(
            await page.evaluate(() => {
              const g = (window as unknown as { __trellisGraph: { firstDataMs: number; firstSyncMs: number; firstRenderMs: number } }).__trellisGraph;
              return { data: g.firstDataMs, sync: g.firstSyncMs, drawn: g.firstRenderMs };
            }),
          );
          if (i < LOADS - 1) await sleep(1500);
        }
        return loads;
      };
      // What a person sees first: with namespaces the page opens folded, one box per namespace.
      const foldedRenders = NAMESPACES > 1 ? await timeLoads('') : [];
      const folded = await drawnCounts();
      await shot('last-run');
      // Issue 12.13's must-holds, at this scale: a namespace unfolds and folds again; a focus shows its neighbourhood only.
      const scale: string[] = [];
      if (NAMESPACES > 1) {
        const fold = page.getByTestId('graph-fold-all');
        const t0 = performance.now();
        await fold.click();
        await page.waitForFunction((n) => ((window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes().length ?? 0) >= n, SERVICES, { timeout: 60_000 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const unfoldMs = performance.now() - t0;
        const unfolded = await drawnCounts();
        await shot('last-run-unfolded');
        await fold.click();
        await page.waitForFunction((n) => ((window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes().length ?? Infinity) <= n, NAMESPACES + 1, { timeout: 60_000 });
        const refolded = await drawnCounts();
        // One box unfolded: a click on team-0's box.
        const box = await page.evaluate(() => {
          const cy = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy;
          const el = cy?.getElementById('namespace:team-0');
          if (!cy || !el || el.empty()) return null;
          cy.center(el);
          return el.renderedPosition();
        });
        const canvas = await page.getByTestId('graph-canvas').boundingBox();
        if (box && canvas) await page.mouse.click(canvas.x + box.x, canvas.y + box.y);
        await page.waitForFunction(() => ((window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes('[!group]').length ?? 0) > 1, undefined, { timeout: 60_000 });
        const one = await drawnCounts();
        await shot('last-run-team-0');
        const team0 = mesh.names.filter((_, i) => namespaceOf(i) === 'team-0').length;
        scale.push(`| folded: nodes drawn / unfold every namespace: nodes drawn, time / fold again | ${folded.nodes} nodes, ${folded.edges} edges / ${unfolded.nodes} nodes in ${unfolded.boxes} namespace boxes, ${unfolded.edges} edges in ${ms(unfoldMs)} / ${refolded.nodes} nodes |`);
        // And a double click on its box (inside its border, beside its services) folds it again.
        // A point inside the box that no service covers (its top padding, away from the rounded corners).
        const boxPoint = await page.evaluate(() => {
          const el = (window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.getElementById('box:team-0');
          if (!el || el.empty()) return null;
          const b = el.renderedBoundingBox({ includeLabels: false });
          const children = el.children().map((c) => c.renderedBoundingBox({ includeLabels: false }));
          for (let y = b.y1 + 3; y < b.y2 - 3; y += 2)
            for (let x = b.x1 + 14; x < b.x2 - 14; x += 6) if (!children.some((c) => x > c.x1 - 2 && x < c.x2 + 2 && y > c.y1 - 2 && y < c.y2 + 2)) return { x, y };
          return null;
        });
        if (boxPoint && canvas) await page.mouse.dblclick(canvas.x + boxPoint.x, canvas.y + boxPoint.y);
        const refoldedOne = await page
          .waitForFunction((n) => ((window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes().length ?? Infinity) <= n, NAMESPACES + 1, { timeout: 20_000 })
          .then(() => true, () => false);
        scale.push(`| a click on team-0's box unfolds it alone, in a box; a double click on the box folds it | ${one.ids.filter((id) => id.endsWith('.team-0')).length} of its ${team0} services drawn in ${one.boxes} box, ${one.nodes} nodes in all; ${refoldedOne ? 'folded again' : 'NOT folded again'} |`);
      }
      // Focus: one service in the middle tier, one hop, then two; the page draws exactly its neighbourhood.
      const focusId = mesh.edges.find((e) => e.source !== 'external' && e.source.startsWith(mesh.names[Math.floor(SERVICES / 2)] ?? ''))?.source ?? mesh.edges[0]?.destination ?? '';
      for (const hops of [1, 2]) {
        await page.goto(`http://127.0.0.1:${port}/graph?focus=${encodeURIComponent(focusId)}${hops === 2 ? '&hops=2' : ''}`);
        await page.waitForFunction(() => (window as unknown as { __trellisGraph?: { firstRenderMs: number | null } }).__trellisGraph?.firstRenderMs != null, undefined, { timeout: 60_000 });
        const near = new Set([focusId]);
        // One hop per pass: what the pass starts from, not what it adds on the way.
        for (let h = 0; h < hops; h++) {
          const from = new Set(near);
          for (const e of graph.edges) for (const [a, b] of [[e.source, e.destination], [e.destination, e.source]] as const) if (from.has(a)) near.add(b);
        }
        // The first graph drawn may be older than the focus's neighbourhood (a window still filling): give live updates 15 s to complete it.
        await page
          .waitForFunction((n) => ((window as unknown as { __trellisGraph?: { cy: import('cytoscape').Core | null } }).__trellisGraph?.cy?.nodes('[!box]').length ?? 0) >= n, near.size, { timeout: 15_000 })
          .catch(() => undefined);
        const ids = (await drawnCounts()).ids;
        if (hops === 1) await shot('last-run-focus');
        const exact = ids.length === near.size && ids.every((id) => near.has(id));
        scale.push(`| focus on ${focusId}, ${hops} hop${hops === 2 ? 's' : ''} | ${ids.length} services drawn, ${exact ? 'exactly' : 'NOT'} its neighbourhood (${near.size}) |`);
      }
      // The whole graph unfolded, as before folding existed: the figures the earlier runs recorded.
      const firstRenders = await timeLoads(NAMESPACES > 1 ? 'fold=none' : '');
      const renderedAt = await page.evaluate(() => performance.now());
      console.log(`graph page rendered; watching ${SECONDS} s of live updates ...`);
      await sleep(SECONDS * 1000);
      const figures = await page.evaluate((since) => {
        const g = (window as unknown as { __trellisGraph: { cy: import('cytoscape').Core; firstDataMs: number; firstSyncMs: number; firstRenderMs: number; updates: { at: number; syncMs: number; renderMs: number | null }[] } }).__trellisGraph;
        const b = (window as unknown as { __bench: { longTasks: { start: number; duration: number }[]; frames: number[] } }).__bench;
        return {
          firstDataMs: g.firstDataMs,
          firstSyncMs: g.firstSyncMs,
          firstRenderMs: g.firstRenderMs,
          nodes: g.cy.nodes().length,
          edges: g.cy.edges().length,
          updates: g.updates.filter((u) => u.at > since),
          longTasks: b.longTasks.filter((t) => t.start > since),
          frames: b.frames.filter((t) => t > since),
        } satisfies PageFigures;
      }, renderedAt);
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return n ? { ttfb: n.responseStart, domContentLoaded: n.domContentLoadedEventEnd } : null;
      });
      print(figures, nav, graph.edges.length, firstRenders, foldedRenders, scale, loadBefore);
    } finally {
      await browser.close();
    }
    if (values.keep) {
      console.log(`\nkept running: dashboard http://127.0.0.1:${port}/graph, control plane ${url} (Ctrl-C stops)`);
      await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
    }
  } finally {
    await traffic?.stop();
    for (const child of children.reverse()) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

type Load = { data: number; sync: number; drawn: number };

function print(f: PageFigures, nav: { ttfb: number; domContentLoaded: number } | null, apiEdges: number, loads: Load[], folded: Load[], scale: string[], loadBefore: number[]) {
  const sync = f.updates.map((u) => u.syncMs);
  const render = f.updates.map((u) => u.renderMs ?? NaN).filter(Number.isFinite);
  const intervals = f.frames.slice(1).map((t, i) => t - (f.frames[i] ?? t));
  const span = (f.frames[f.frames.length - 1] ?? 0) - (f.frames[0] ?? 0);
  const dropped = intervals.reduce((s, d) => s + Math.max(0, Math.round(d / (1000 / 60)) - 1), 0);
  const longest = Math.max(0, ...f.longTasks.map((t) => t.duration));
  const blocked = f.longTasks.reduce((s, t) => s + t.duration, 0);
  console.log(`\nGraph page at scale: ${SERVICES} services in ${NAMESPACES} namespace${NAMESPACES === 1 ? '' : 's'}, ${apiEdges} edges (drawn: ${f.nodes} nodes, ${f.edges} edges), 1280x800, headless Chromium, 2-core machine\n`);
  console.log('| figure | value |');
  console.log('|---|---|');
  const med = (of: Load[], k: keyof Load) => quantile(of.map((l) => l[k]), 0.5);
  const row = (what: string, of: Load[]) => {
    console.log(`| ${what}, navigation start to drawn (median of ${of.length} loads) | **${ms(med(of, 'drawn'))}** (${of.map((l) => ms(l.drawn)).join(', ')}) |`);
    console.log(`| of which: graph data in / laid out and added / drawn (median) | ${ms(med(of, 'data'))} / ${ms(med(of, 'sync'))} / ${ms(med(of, 'drawn'))} |`);
  };
  // What a person sees first (folded, with more than one namespace), then the whole graph unfolded.
  if (folded.length) row(`first render as the page opens: ${NAMESPACES} namespaces folded`, folded);
  row(`first render of the whole graph${folded.length ? ' unfolded (fold=none)' : ''}`, loads);
  for (const row of scale) console.log(row);
  if (nav) console.log(`| last load: HTML first byte / DOM ready | ${ms(nav.ttfb)} / ${ms(nav.domContentLoaded)} |`);
  console.log(`| live updates observed (${SECONDS} s) | ${f.updates.length} |`);
  console.log(`| one update: data sync into the graph, median / p95 / max | ${ms(quantile(sync, 0.5))} / ${ms(quantile(sync, 0.95))} / ${ms(Math.max(...sync))} |`);
  console.log(`| one update: sync + redraw, median / p95 | ${ms(quantile(render, 0.5))} / ${ms(quantile(render, 0.95))} |`);
  console.log(`| main-thread long tasks (> 50 ms) | ${f.longTasks.length} in ${SECONDS} s, longest ${ms(longest)}, ${((blocked / (SECONDS * 1000)) * 100).toFixed(0)}% of the time |`);
  console.log(`| frames | ${span > 0 ? ((intervals.length / span) * 1000).toFixed(0) : '–'} fps average, ${dropped} of ${intervals.length + dropped} frames dropped, longest frame ${ms(Math.max(0, ...intervals))} |`);
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  console.log(`| load average (1, 5, 15 min) when the browser started / at the end | ${load(loadBefore)} / ${load(os.loadavg())} (${os.cpus().length} cores) |`);
  console.log(`\nGoal (issue 12.13): the first render as the page opens ≤ 1 s (median); updates without freezing the page.`);
  console.log(`Screenshots: bench/graph-scale/last-run.png (as it opens), last-run-unfolded.png, last-run-team-0.png (one namespace unfolded), last-run-focus.png`);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
