// Turns the measured results into the tables (Markdown, so they paste into docs/BENCHMARKS.md as is) and
// the goal lines for Trellis: issue 3's for one hop, issue 9's for mutual TLS between two proxies, issue 15's
// against the node+undici floor and for --workers.

/** The issue's goals for Trellis one hop (issue 3, "Benchmark"). */
export const GOALS = {
  vsNodeHttpProxy: 1.5, // >= 1.5x node-http-proxy's max throughput
  vsNginx: 0.4, // >= 40 % of nginx's max throughput
  p99AddedMs: 1, // <= 1 ms added at p99, per hop
  cpuPer1k: 0.25, // <= 0.25 CPU seconds per 1,000 requests
  rssMB: 50, // <= 50 MB resident
};

/** The goals of issue 9 ("Benchmark") for mutual TLS between proxies. */
export const MTLS_GOALS = {
  p99AddedPerHopMs: 0.5, // mTLS adds <= 0.5 ms p99 per hop at 1,000 req/s over plain, same run
  p99TwoHopsMs: 2, // two hops with mTLS <= 2 ms p99 added over direct (Istio documents 2.88 ms for two Envoys)
  throughputShare: 0.8, // max throughput with mTLS >= 80 % of plain two hops
};

/** Other programs using more than this share of a core during a measurement make it suspect. */
export const NOISE = 0.1;

const fmt = (v, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');
const int = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const pct = (v) => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v * 100)}` : '—');

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function ratio(a, b) {
  return a && b ? a / b : undefined;
}

/** Adds ratios and "added over direct" figures to each result. */
export function derive(results) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const nhp = by['node-http-proxy']?.throughput?.requestsPerSecond;
  const ngx = by.nginx?.throughput?.requestsPerSecond;
  const base = by.direct?.latency;
  for (const r of results) {
    if (!r.available) continue;
    const rps = r.throughput?.requestsPerSecond;
    r.vsNodeHttpProxy = ratio(rps, nhp);
    r.vsNginx = ratio(rps, ngx);
    if (base && r.latency && r.name !== 'direct') {
      r.added = { p50Ms: r.latency.p50Ms - base.p50Ms, p99Ms: r.latency.p99Ms - base.p99Ms };
    }
  }
  return results;
}

/** The results as an aligned Markdown table. */
export function table(results) {
  const header = [
    'target',
    'max req/s',
    'vs node-http-proxy',
    'vs nginx',
    'p50 ms',
    'p99 ms',
    '+p50 ms',
    '+p99 ms',
    'CPU s/1k req',
    'RSS MB',
    'busy % load/proxy core',
    'notes',
  ];
  const rows = results.map((r) => {
    if (!r.available) return [r.label, 'n/a', '', '', '', '', '', '', '', '', '', `not available: ${r.reason}`];
    const t = r.throughput ?? {};
    const l = r.latency ?? {};
    const errors = [];
    if (t.non2xx || t.socketErrors) errors.push(`wrk: ${t.non2xx} non-2xx, ${t.socketErrors} socket errors`);
    if (l.non2xx || l.failed) errors.push(`h2load: ${l.non2xx} non-2xx, ${l.failed} failed`);
    if (r.error) errors.push(r.error);
    return [
      r.label,
      int(t.requestsPerSecond),
      r.vsNodeHttpProxy ? `${fmt(r.vsNodeHttpProxy)}x` : '—',
      r.vsNginx ? `${pct(r.vsNginx)} %` : '—',
      fmt(l.p50Ms, 3),
      fmt(l.p99Ms, 3),
      r.added ? fmt(r.added.p50Ms, 3) : '—',
      r.added ? fmt(r.added.p99Ms, 3) : '—',
      r.pid ? fmt(r.cpuPer1k, 3) : '—',
      r.pid ? fmt(r.rssMB, 1) : '—',
      t.coreBusy ? `${pct(t.coreBusy.load)}/${pct(t.coreBusy.proxy)}` : '—',
      [...(r.notes ?? []), ...errors].join('; '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** One line per goal: the figure, the goal, and whether it holds. */
export function goalLines(results) {
  const t = results.find((r) => r.name === 'trellis');
  if (!t) return ['Goals: Trellis was not selected (--only).'];
  if (!t.available) return [`Goals: pending — Trellis not available (${t.reason}).`];
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  // Which measurements a verdict rests on, so a verdict from a disturbed measurement says so.
  const { lines, add, noisy } = judge(by);
  add(
    `throughput vs node-http-proxy: ${t.vsNodeHttpProxy ? `${fmt(t.vsNodeHttpProxy)}x` : 'not measured'} (goal >= ${GOALS.vsNodeHttpProxy}x)`,
    t.vsNodeHttpProxy === undefined ? undefined : t.vsNodeHttpProxy >= GOALS.vsNodeHttpProxy,
    noisy(['trellis', 'throughput'], ['node-http-proxy', 'throughput']),
  );
  add(
    `throughput vs nginx: ${t.vsNginx ? `${pct(t.vsNginx)} %` : 'not measured'} (goal >= ${GOALS.vsNginx * 100} %)`,
    t.vsNginx === undefined ? undefined : t.vsNginx >= GOALS.vsNginx,
    noisy(['trellis', 'throughput'], ['nginx', 'throughput']),
  );
  add(
    `p99 added over direct at the fixed rate, one hop: ${t.added ? `${fmt(t.added.p99Ms, 3)} ms` : 'not measured'} (goal <= ${GOALS.p99AddedMs} ms)`,
    t.added === undefined ? undefined : t.added.p99Ms <= GOALS.p99AddedMs,
    noisy(['trellis', 'latency'], ['direct', 'latency']),
  );
  add(
    `CPU per 1,000 requests: ${fmt(t.cpuPer1k, 3)} s (goal <= ${GOALS.cpuPer1k} s)`,
    Number.isFinite(t.cpuPer1k) ? t.cpuPer1k <= GOALS.cpuPer1k : undefined,
    noisy(['trellis', 'latency']),
  );
  add(`RSS at the fixed rate: ${fmt(t.rssMB, 1)} MB (goal <= ${GOALS.rssMB} MB)`, Number.isFinite(t.rssMB) ? t.rssMB <= GOALS.rssMB : undefined);
  // Where the platform itself stands against the same goals: node:http + undici doing nothing else.
  const floor = by['node-floor'];
  const context = [];
  if (floor?.available && floor.throughput) {
    const of = (r) => (r?.throughput?.requestsPerSecond ? `${fmt(floor.throughput.requestsPerSecond / r.throughput.requestsPerSecond)}x` : '—');
    context.push(
      `  The node+undici floor (no features) in this run: ${of(by['node-http-proxy'])} node-http-proxy, ${by.nginx?.throughput ? `${pct(floor.throughput.requestsPerSecond / by.nginx.throughput.requestsPerSecond)} %` : '—'} of nginx, ` +
        `+p99 ${floor.added ? fmt(floor.added.p99Ms, 3) : '—'} ms, ${fmt(floor.cpuPer1k, 3)} CPU s/1k, ${fmt(floor.rssMB, 1)} MB; ` +
        `Trellis reaches ${t.throughput?.requestsPerSecond ? pct(t.throughput.requestsPerSecond / floor.throughput.requestsPerSecond) : '—'} % of its throughput.`,
    );
  }
  return ['Goals (Trellis):', ...lines, ...context];
}

/** Judged lines for a set of goals; `noisy(...pairs)` names the disturbed measurements a verdict rests on. */
function judge(by) {
  const noisy = (...pairs) =>
    pairs.filter(([name, kind]) => (by[name]?.[kind]?.otherWork ?? 0) > NOISE).map(([name, kind]) => `${name} ${kind}`);
  const verdict = (ok) => (ok === undefined ? 'n/a' : ok ? 'MET' : 'MISSED');
  const lines = [];
  const add = (text, ok, disturbed = []) =>
    lines.push(`  ${verdict(ok).padEnd(6)} ${text}${ok !== undefined && disturbed.length ? ` — not conclusive, noisy: ${disturbed.join(', ')}` : ''}`);
  return { lines, add, noisy };
}

/** Issue 9's goals: what mutual TLS between the two proxies costs over the same two hops in the clear. */
export function mtlsGoalLines(results, rate = 1000) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const plain = by['trellis-2hop'];
  const mtls = by['trellis-2hop-mtls'];
  if (!plain || !mtls) return ['Goals (issue 9, mTLS): need both trellis-2hop and trellis-2hop-mtls (--only).'];
  const missing = [plain, mtls].filter((r) => !r.available);
  if (missing.length) return [`Goals (issue 9, mTLS): pending — ${missing.map((r) => `${r.name} not available (${r.reason})`).join('; ')}.`];
  const { lines, add, noisy } = judge(by);
  const mtlsHop = mtls.latency && plain.latency ? mtls.latency.p99Ms - plain.latency.p99Ms : undefined;
  add(
    `mTLS over plain, p99 at ${rate.toLocaleString('en-US')} req/s, per mTLS hop (2 hops mTLS − 2 hops plain, one proxy-to-proxy link): ${fmt(mtlsHop, 3)} ms (goal <= ${MTLS_GOALS.p99AddedPerHopMs} ms)`,
    mtlsHop === undefined ? undefined : mtlsHop <= MTLS_GOALS.p99AddedPerHopMs,
    noisy(['trellis-2hop-mtls', 'latency'], ['trellis-2hop', 'latency']),
  );
  add(
    `two hops with mTLS, p99 added over direct: ${mtls.added ? `${fmt(mtls.added.p99Ms, 3)} ms` : 'not measured'} (goal <= ${MTLS_GOALS.p99TwoHopsMs} ms; Istio documents 2.88 ms for two Envoys)`,
    mtls.added === undefined ? undefined : mtls.added.p99Ms <= MTLS_GOALS.p99TwoHopsMs,
    noisy(['trellis-2hop-mtls', 'latency'], ['direct', 'latency']),
  );
  const share = ratio(mtls.throughput?.requestsPerSecond, plain.throughput?.requestsPerSecond);
  add(
    `max throughput, 2 hops mTLS / 2 hops plain: ${share ? `${pct(share)} %` : 'not measured'} (goal >= ${MTLS_GOALS.throughputShare * 100} %)`,
    share === undefined ? undefined : share >= MTLS_GOALS.throughputShare,
    noisy(['trellis-2hop-mtls', 'throughput'], ['trellis-2hop', 'throughput']),
  );
  const one = by.trellis;
  const row = (r) =>
    r?.available ? `${int(r.throughput?.requestsPerSecond)} req/s, +p99 ${r.added ? fmt(r.added.p99Ms, 3) : '—'} ms, ${fmt(r.cpuPer1k, 3)} CPU s/1k` : 'not measured';
  // CPU per request at the fixed rate moves less than max throughput when other programs share the
  // machine, and at saturation the throughput ratio is about its inverse.
  const cpuRatio = ratio(mtls.cpuPer1k, plain.cpuPer1k);
  return [
    'Goals (issue 9, mTLS between proxies):',
    ...lines,
    `  Same run: one hop ${row(one)}; two hops plain ${row(plain)}; two hops mTLS ${row(mtls)}.`,
    ...floorLines(by['floor-2hop'], by['floor-2hop-mtls'], row),
    ...(cpuRatio
      ? [
          `  CPU per request of the two proxies at the fixed rate, mTLS / plain: ${fmt(cpuRatio)}x (${cpuRatio >= 1 ? '+' : ''}${fmt((cpuRatio - 1) * 100, 1)} %), ` +
            `which puts max throughput with mTLS at about ${pct(1 / cpuRatio)} % of plain when the proxies' core is the limit.`,
        ]
      : []),
  ];
}

/**
 * The same goals read off two node+undici floors chained (lib/floor-targets.mjs): what Node's HTTP and
 * TLS alone cost for those hops on this machine, before any proxy feature.
 */
function floorLines(plain, mtls, row) {
  if (!plain?.available && !mtls?.available) return [];
  const lines = [`  Node floor, same hops (no proxy features): two hops plain ${row(plain)}; two hops mTLS ${row(mtls)}.`];
  if (plain?.available && mtls?.available) {
    const hop = mtls.latency && plain.latency ? mtls.latency.p99Ms - plain.latency.p99Ms : undefined;
    const share = ratio(mtls.throughput?.requestsPerSecond, plain.throughput?.requestsPerSecond);
    lines.push(
      `  Node floor against the same goals: mTLS over plain per hop ${fmt(hop, 3)} ms; two hops mTLS +p99 over direct ${mtls.added ? fmt(mtls.added.p99Ms, 3) : '—'} ms; ` +
        `mTLS / plain max throughput ${share ? `${pct(share)} %` : '—'}.`,
    );
  }
  return lines;
}

/** The handshake measurements (full and resumed) as a Markdown table, or undefined when none ran. */
export function handshakeTable(results, concurrency, seconds) {
  const measured = results.filter((r) => r.handshakes?.length);
  if (!measured.length) return undefined;
  const header = [
    'server (STRICT inbound)',
    'handshakes',
    'per second',
    'resumed %',
    'server CPU % of a core',
    'server CPU ms per handshake',
    'one core could take /s',
    'busy % load/proxy core',
    'notes',
  ];
  const rows = measured.flatMap((r) =>
    r.handshakes.map((h) => {
      if (h.error) return [`${h.server}: ${h.kind}`, '—', '—', '—', '—', '—', '—', '—', h.error];
      const notes = [...h.notes];
      if (h.counted) notes.push(`the proxy counted ${h.counted.ok} ok, ${h.counted.failed} failed`);
      if (h.failed) notes.push(`${h.failed} failed at the client, first: ${h.firstError}`);
      if (h.otherWork > NOISE) notes.push(`noisy: other programs used ${Math.round(h.otherWork * 100)} % of a core`);
      return [
        `${h.server}: ${h.kind}`,
        int(h.handshakes),
        int(h.perSecond),
        pct(h.resumedShare),
        pct(h.proxyCores),
        fmt(h.cpuMsPerHandshake, 3),
        h.cpuMsPerHandshake ? int(1000 / h.cpuMsPerHandshake) : '—',
        h.cores ? `${pct(h.cores.load)}/${pct(h.cores.peer)}` : '—',
        notes.join('; '),
      ];
    }),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [
    `TLS handshakes one proxy takes (TLS 1.3, ECDSA P-256 certificates, client certificate checked; ${concurrency} connections at a time, ${seconds}s each; full: no session offered, resumed: a ticket the proxy issued offered).`,
    `The client (Node, on the load core) does about as much work per handshake as the server: when the load core is near 100 %, "per second" is the client's limit and "one core could take" (1,000 / the server's CPU ms per handshake) the server's. The node:tls floor is a bare TLS server with the same settings on the same core.`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** Issue 15's data-plane goals: Trellis one hop against the bare node+undici floor, in the same run. */
export const FLOOR_GOALS = {
  throughputShare: 0.9, // max req/s >= 90 % of the floor's
  p99OverFloorMs: 0.2, // p99 added over direct at the fixed rate <= the floor's + 0.2 ms
  rssOverFloor: 0.1, // peak RSS at the fixed rate <= the floor's + 10 %
};

/** The three figures issue 15 judges, from one run (a figure is undefined when a row was not measured). */
export function floorFigures(results) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const t = by.trellis;
  const floor = by['node-floor'];
  if (!t?.available || !floor?.available) return undefined;
  return {
    throughputShare: ratio(t.throughput?.requestsPerSecond, floor.throughput?.requestsPerSecond),
    p99OverFloorMs: t.added && floor.added ? t.added.p99Ms - floor.added.p99Ms : undefined,
    rssOverFloor: Number.isFinite(t.rssMB) && Number.isFinite(floor.rssMB) ? t.rssMB / floor.rssMB - 1 : undefined,
  };
}

/** Whether each of issue 15's data-plane figures holds (undefined where it was not measured). */
export function floorVerdicts(f) {
  return {
    throughputShare: f.throughputShare === undefined ? undefined : f.throughputShare >= FLOOR_GOALS.throughputShare,
    p99OverFloorMs: f.p99OverFloorMs === undefined ? undefined : f.p99OverFloorMs <= FLOOR_GOALS.p99OverFloorMs,
    rssOverFloor: f.rssOverFloor === undefined ? undefined : f.rssOverFloor <= FLOOR_GOALS.rssOverFloor,
  };
}

/** The figures as the goal lines print them. */
export const floorText = {
  throughputShare: (v) => `max req/s ${pct(v)} % of the floor's (goal >= ${FLOOR_GOALS.throughputShare * 100} %)`,
  p99OverFloorMs: (v) => `p99 added ${v === undefined ? '—' : `${v >= 0 ? '+' : ''}${fmt(v, 3)}`} ms over the floor's (goal <= +${FLOOR_GOALS.p99OverFloorMs} ms)`,
  rssOverFloor: (v) => `RSS ${v === undefined ? '—' : `${v >= 0 ? '+' : ''}${fmt(v * 100, 1)}`} % over the floor's (goal <= +${FLOOR_GOALS.rssOverFloor * 100} %)`,
};

/** Issue 15's data-plane goals for one run; `node bench/proxy/floor-runs.mjs` judges the median of several. */
export function floorGoalLines(results) {
  const figures = floorFigures(results);
  if (!figures) return ['Goals (issue 15, data plane): need both node-floor and trellis (--only node-floor,trellis).'];
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const { lines, add, noisy } = judge(by);
  const ok = floorVerdicts(figures);
  add(floorText.throughputShare(figures.throughputShare), ok.throughputShare, noisy(['trellis', 'throughput'], ['node-floor', 'throughput']));
  add(floorText.p99OverFloorMs(figures.p99OverFloorMs), ok.p99OverFloorMs, noisy(['trellis', 'latency'], ['node-floor', 'latency']));
  add(floorText.rssOverFloor(figures.rssOverFloor), ok.rssOverFloor);
  return ['Goals (issue 15, data plane against the node+undici floor, this run):', ...lines];
}

/** Issue 15's "more than one core": --workers 2 against one worker, max throughput in the same run. */
export function workersGoalLines(results, cores) {
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const one = by.trellis;
  const two = by['trellis-2w'];
  if (!one?.available || !two?.available) return ['Goals (issue 15, workers): need both trellis and trellis-2w (--only trellis,trellis-2w).'];
  const { lines, add, noisy } = judge(by);
  const r = ratio(two.throughput?.requestsPerSecond, one.throughput?.requestsPerSecond);
  add(
    `max throughput, 2 workers / 1: ${r ? `${fmt(r)}x` : 'not measured'} (goal >= 1.7x with 2 workers on 2 cores of their own)`,
    r === undefined || cores < 3 ? undefined : r >= 1.7,
    noisy(['trellis-2w', 'throughput'], ['trellis', 'throughput']),
  );
  const cpu = ratio(two.cpuPer1k, one.cpuPer1k);
  return [
    'Goals (issue 15, workers):',
    ...lines,
    `  Same run: 1 worker ${int(one.throughput?.requestsPerSecond)} req/s, ${fmt(one.rssMB, 1)} MB; 2 workers ${int(two.throughput?.requestsPerSecond)} req/s, ${fmt(two.rssMB, 1)} MB (primary + workers)` +
      `${cpu ? `; CPU per request at the fixed rate ${fmt(cpu)}x one worker's (the primary's round-robin accept and IPC telemetry)` : ''}.`,
    ...(cores < 3
      ? [`  Not judged on ${cores} cores: the load generator and upstream share the workers' cores, so the ratio understates what 2 workers give; judge it on 4 cores or more.`]
      : []),
  ];
}
