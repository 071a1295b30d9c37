import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  cliEnv,
  parseCommandArgs,
  parsePort
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/commands/up.ts
import net from "node:net";
import path4 from "node:path";
import { rm } from "node:fs/promises";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";

// apps/cli/src/paths.ts
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
function repoRoot(from = path.dirname(fileURLToPath(import.meta.url))) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "turbo.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the repository root above ${from}`);
  }
}
function trellisCommand(root = repoRoot()) {
  return [process.execPath, [path.join(root, "apps/cli/bin/trellis.mjs")]];
}

// apps/cli/src/demo/shop.ts
var SHOP = [
  {
    id: "frontend",
    service: "frontend",
    version: "v1",
    zone: "zone-a",
    calls: [
      { service: "catalog", path: "/products" },
      { service: "cart", path: "/cart" },
      { service: "reviews", path: "/reviews/1" }
    ],
    failureRate: 0,
    latency: { baseMs: 2, jitterMs: 3, tailShare: 0, tailMs: 0 }
  },
  { id: "catalog", service: "catalog", version: "v1", zone: "zone-a", calls: [], failureRate: 0, latency: { baseMs: 3, jitterMs: 4, tailShare: 0.01, tailMs: 40 } },
  { id: "cart", service: "cart", version: "v1", zone: "zone-b", calls: [{ service: "payments", path: "/authorize" }], failureRate: 0, latency: { baseMs: 2, jitterMs: 3, tailShare: 0, tailMs: 0 } },
  { id: "reviews-v1", service: "reviews", version: "v1", zone: "zone-a", calls: [], failureRate: 0, latency: { baseMs: 4, jitterMs: 4, tailShare: 0, tailMs: 0 } },
  { id: "reviews-v2", service: "reviews", version: "v2", zone: "zone-b", calls: [{ service: "ratings", path: "/ratings/1" }], failureRate: 0.01, latency: { baseMs: 6, jitterMs: 6, tailShare: 0.02, tailMs: 80 } },
  { id: "ratings", service: "ratings", version: "v1", zone: "zone-b", calls: [], failureRate: 0, latency: { baseMs: 2, jitterMs: 2, tailShare: 0, tailMs: 0 } },
  // Payments fails a few percent of requests and has a slow tail: the retry policy has work to do.
  { id: "payments", service: "payments", version: "v1", zone: "zone-b", calls: [], failureRate: 0.05, latency: { baseMs: 8, jitterMs: 10, tailShare: 0.03, tailMs: 250 } }
];
var meta = (name) => ({ name, namespace: "default" });
var api = "trellis.dev/v1alpha1";
var target = (name) => ({ kind: "Service", name });
var DEMO_RESOURCES = [
  {
    apiVersion: api,
    kind: "Service",
    metadata: meta("reviews"),
    spec: { routes: [{ name: "get-review", match: { path: { type: "PathPrefix", value: "/reviews" }, method: "GET" } }] }
  },
  {
    apiVersion: api,
    kind: "Service",
    metadata: meta("catalog"),
    spec: { routes: [{ name: "list-products", match: { path: { type: "Exact", value: "/products" } } }] }
  },
  {
    apiVersion: api,
    kind: "TrafficSplit",
    metadata: meta("reviews"),
    spec: {
      targetRef: target("reviews"),
      backends: [
        { name: "v1", selector: { version: "v1" }, weight: 90 },
        { name: "v2", selector: { version: "v2" }, weight: 10 }
      ]
    }
  },
  {
    apiVersion: api,
    kind: "RetryPolicy",
    metadata: meta("payments-retry"),
    spec: { targetRef: target("payments"), attempts: 3, retryOn: ["5xx", "connect-failure", "reset"], perTryTimeout: "500ms" }
  },
  {
    apiVersion: api,
    kind: "RateLimitPolicy",
    metadata: meta("catalog-rate-limit"),
    spec: { targetRef: target("catalog"), requestsPerSecond: 50, burst: 50 }
  }
];
function portsOf(base, index) {
  const first = base + index * 4;
  return { app: first, inbound: first + 1, outbound: first + 2, admin: first + 3 };
}

// apps/cli/src/demo/apps.ts
import http from "node:http";
import { request } from "undici";
var PROPAGATE = ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-request-id"];
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function delayFor(w) {
  const { baseMs, jitterMs, tailShare, tailMs } = w.latency;
  const tail = Math.random() < tailShare ? tailMs * (0.5 + Math.random()) : 0;
  return baseMs + Math.random() * jitterMs + tail;
}
function startApp(w, port, outboundPort) {
  const server = http.createServer((req, res) => {
    void (async () => {
      const forwarded = {};
      for (const h of PROPAGATE) {
        const v = req.headers[h];
        if (typeof v === "string") forwarded[h] = v;
      }
      await sleep(delayFor(w));
      if (Math.random() < w.failureRate) {
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: `${w.service} is having a bad moment` }));
        return;
      }
      const parts = await Promise.all(
        w.calls.map(async (call) => {
          try {
            const r = await request(`http://127.0.0.1:${outboundPort}${call.path}`, {
              headers: { ...forwarded, host: call.service },
              headersTimeout: 5e3,
              bodyTimeout: 5e3
            });
            const body = await r.body.text();
            return { service: call.service, status: r.statusCode, body: body.slice(0, 200) };
          } catch (err) {
            return { service: call.service, status: 0, body: err.message };
          }
        })
      );
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ service: w.service, version: w.version, path: req.url, calls: parts }));
    })().catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(err.message);
    });
  });
  server.keepAliveTimeout = 3e4;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

// apps/cli/src/demo/traffic.ts
import { Pool } from "undici";
var PATHS = ["/", "/", "/", "/product/1", "/product/2", "/cart"];
function startTraffic(target2, rps) {
  const pool = new Pool(target2, { connections: 8 });
  let sent = 0;
  let stopped = false;
  const intervalMs = 100;
  let carry = 0;
  const timer = setInterval(() => {
    if (stopped) return;
    carry += rps * intervalMs / 1e3;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n; i++) {
      sent++;
      const path5 = PATHS[Math.floor(Math.random() * PATHS.length)] ?? "/";
      pool.request({ method: "GET", path: path5, headers: { host: "frontend" }, headersTimeout: 1e4, bodyTimeout: 1e4 }).then((r) => r.body.dump()).catch(() => {
      });
    }
  }, intervalMs);
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await pool.close().catch(() => {
      });
    }
  };
}

// apps/cli/src/demo/supervisor.ts
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path2 from "node:path";
var Supervisor = class {
  constructor(logDir) {
    this.logDir = logDir;
  }
  logDir;
  children = [];
  stopping = false;
  onUnexpectedExit = () => {
  };
  /** Spawns a process and resolves once `ready` matches its output (or rejects when it exits first). */
  async start(name, command, args, options) {
    await mkdir(this.logDir, { recursive: true });
    const logFile = path2.join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: "w" });
    const proc = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const child = { name, process: proc, logFile };
    this.children.push(child);
    let output = "";
    const match = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not become ready within ${(options.timeoutMs ?? 6e4) / 1e3} s; see ${logFile}`)),
        options.timeoutMs ?? 6e4
      );
      const onData = (d) => {
        log.write(d);
        if (output.length < 64e3) output += d.toString();
        const m = options.ready.exec(output);
        if (m) {
          clearTimeout(timer);
          proc.stdout?.off("data", onData);
          proc.stderr?.off("data", onData);
          proc.stdout?.on("data", (x) => log.write(x));
          proc.stderr?.on("data", (x) => log.write(x));
          resolve(m);
        }
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.on("data", onData);
      proc.once("exit", (code) => {
        clearTimeout(timer);
        const tail = output.trim().split("\n").slice(-5).join("\n  ");
        reject(new Error(`${name} exited (code ${code}) before it was ready:
  ${tail}
  (full log: ${logFile})`));
      });
    });
    proc.once("exit", (code) => {
      log.end();
      if (!this.stopping) this.onUnexpectedExit(child, code);
    });
    return { child, match };
  }
  /** Stops every process, newest first, waiting up to `graceMs` before killing. */
  async stopAll(graceMs = 8e3) {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      const p = child.process;
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((resolve) => p.once("exit", () => resolve()));
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
};

// apps/cli/src/demo/web-build.ts
import { spawn as spawn2 } from "node:child_process";
import { existsSync as existsSync2, readdirSync, statSync } from "node:fs";
import path3 from "node:path";
function newest(dir) {
  if (!existsSync2(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".next" || entry.name.startsWith(".turbo")) continue;
    const full = path3.join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return max;
}
function dashboardBuildIsStale(root) {
  const buildId = path3.join(root, "apps/web/.next/BUILD_ID");
  if (!existsSync2(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return [path3.join(root, "apps/web"), path3.join(root, "packages/shared/src"), path3.join(root, "apps/control-plane/src/router")].some(
    (dir) => newest(dir) > built
  );
}
function buildDashboard(root, log) {
  return new Promise((resolve, reject) => {
    const child = spawn2("npm", ["run", "build", "--silent", "-w", "@trellis/web"], {
      cwd: root,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    });
    let tail = "";
    const onData = (d) => {
      for (const line of d.toString().split("\n")) {
        if (!line.trim()) continue;
        tail = `${tail}
${line}`.slice(-4e3);
        log(`  next build | ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}):${tail}`)));
  });
}

// apps/cli/src/commands/up.ts
var USAGE = `trellis up [--port 7400] [--dashboard-port 7401] [--port-base 7410] [--rps 20] [--data-dir .trellis/data] [--fresh]`;
var HELP = `${USAGE}

Runs the whole product on this machine: the control plane (embedded PGlite in --data-dir, or the
Postgres in DATABASE_URL), the dashboard (a production build, made once), and a demo shop of ${SHOP.length}
workloads, each a small HTTP app with its own sidecar proxy, with steady traffic into the frontend.

  --port N            control plane API and proxy stream (default 7400, or PORT)
  --dashboard-port N  the dashboard (default 7401)
  --port-base N       first of ${SHOP.length * 4} ports for the demo apps and their proxies (default 7410)
  --rps N             demo requests per second into the frontend (default 20)
  --data-dir DIR      the embedded database and logs (default .trellis/data; TRELLIS_DATA_DIR)
  --fresh             start from an empty database
  --no-dashboard      skip the dashboard
Logs of every process are in <data-dir>/../logs. Ctrl-C stops everything.`;
function say(line) {
  process.stdout.write(`${line}
`);
}
async function assertFree(port, what, flag) {
  await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once(
      "error",
      (err) => reject(
        new CliError(
          err.code === "EADDRINUSE" ? `port ${port} (${what}) is already in use; stop what is using it (is another \`trellis up\` running?) or pass ${flag}` : `cannot listen on port ${port} (${what}): ${err.message}`
        )
      )
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}
async function applyDemoResources(url) {
  const api2 = createTRPCClient({ links: [httpLink({ url: `${url}/trpc`, headers: { "x-trellis-user": "trellis up" } })] });
  const created = [];
  for (const resource of DEMO_RESOURCES) {
    try {
      await api2.resources.get.query({ kind: resource.kind, name: resource.metadata.name, namespace: resource.metadata.namespace });
    } catch (err) {
      if (!(err instanceof TRPCClientError) || err.data?.code !== "NOT_FOUND") throw err;
      await api2.resources.upsert.mutate({ resource, note: "demo policy applied by trellis up" });
      created.push(`${resource.kind} ${resource.metadata.name}`);
    }
  }
  return created;
}
async function run(argv) {
  const { values } = parseCommandArgs("up", argv, {
    port: { type: "string" },
    "dashboard-port": { type: "string" },
    "port-base": { type: "string" },
    rps: { type: "string" },
    "data-dir": { type: "string" },
    fresh: { type: "boolean" },
    "no-dashboard": { type: "boolean" },
    help: { type: "boolean", short: "h" }
  }, USAGE);
  if (values.help) {
    say(`usage: ${HELP}`);
    return 0;
  }
  const root = repoRoot();
  const cpPort = parsePort(values.port ?? cliEnv.port, values.port ? "--port" : "PORT", 7400);
  const dashboardPort = parsePort(values["dashboard-port"], "--dashboard-port", 7401);
  const portBase = parsePort(values["port-base"], "--port-base", 7410);
  const rps = values.rps === void 0 ? 20 : Number(values.rps);
  if (!(rps >= 0 && rps <= 2e3)) throw new CliError("--rps: must be a number from 0 to 2000", 2);
  const dataDir = path4.resolve(values["data-dir"] ?? cliEnv.dataDir ?? path4.join(root, ".trellis/data"));
  const logDir = path4.join(path4.dirname(dataDir), "logs");
  const withDashboard = !values["no-dashboard"];
  await assertFree(cpPort, "control plane", "--port");
  if (withDashboard) await assertFree(dashboardPort, "dashboard", "--dashboard-port");
  for (const [i, w] of SHOP.entries()) {
    for (const [role, port] of Object.entries(portsOf(portBase, i))) await assertFree(port, `${w.id} ${role}`, "--port-base");
  }
  if (withDashboard && dashboardBuildIsStale(root)) {
    say("building the dashboard once (next build; about a minute on 2 cores) ...");
    const t0 = Date.now();
    await buildDashboard(root, say);
    say(`dashboard built in ${Math.round((Date.now() - t0) / 1e3)} s`);
  }
  if (values.fresh) await rm(dataDir, { recursive: true, force: true });
  const supervisor = new Supervisor(logDir);
  const apps = [];
  let traffic;
  let stopping;
  const stopAll = () => stopping ??= (async () => {
    await traffic?.stop();
    await supervisor.stopAll();
    for (const a of apps) a.close();
  })();
  supervisor.onUnexpectedExit = (child, code) => {
    say(`\u2717 ${child.name} stopped unexpectedly (exit ${code}); see ${child.logFile}. Stopping everything.`);
    void stopAll().then(() => process.exit(1));
  };
  const [node, trellis] = trellisCommand(root);
  try {
    const databaseUrl = cliEnv.databaseUrl;
    const cp = await supervisor.start("control-plane", node, [...trellis, "control-plane", "--port", String(cpPort), "--data-dir", dataDir], {
      ready: /listening on (http:\/\/[\d.:]+) \(database: ([^)]+)\)/
    });
    const cpUrl = cp.match[1] ?? `http://127.0.0.1:${cpPort}`;
    say(`\u2713 control plane   ${cpUrl}  (${databaseUrl ? "Postgres from DATABASE_URL" : `PGlite in ${path4.relative(process.cwd(), dataDir) || dataDir}`})`);
    const created = await applyDemoResources(cpUrl);
    say(`\u2713 demo policies   ${created.length ? `applied ${created.join(", ")}` : "already in place (kept as you left them)"}`);
    await Promise.all(
      SHOP.map(async (w, i) => {
        const ports = portsOf(portBase, i);
        apps.push(await startApp(w, ports.app, ports.outbound));
        await supervisor.start(`proxy-${w.id}`, node, [
          ...trellis,
          "proxy",
          "--service",
          w.service,
          "--instance",
          w.id,
          "--zone",
          w.zone,
          "--label",
          `version=${w.version}`,
          "--app-port",
          String(ports.app),
          "--inbound-port",
          String(ports.inbound),
          "--outbound-port",
          String(ports.outbound),
          "--admin-port",
          String(ports.admin),
          "--control-plane",
          cpUrl,
          "--data-dir",
          path4.join(path4.dirname(dataDir), "proxies", w.id)
        ], { ready: /trellis proxy ready/ });
      })
    );
    for (const [i, w] of SHOP.entries()) {
      const ports = portsOf(portBase, i);
      say(`\u2713 ${w.id.padEnd(15)} app :${ports.app}, sidecar in :${ports.inbound} out :${ports.outbound} admin :${ports.admin}`);
    }
    const frontend = portsOf(portBase, 0);
    traffic = startTraffic(`http://127.0.0.1:${frontend.inbound}`, rps);
    say(`\u2713 traffic         ${rps} requests/s into frontend`);
    if (withDashboard) {
      await supervisor.start("dashboard", node, [path4.join(root, "node_modules/next/dist/bin/next"), "start", "-p", String(dashboardPort), "-H", "127.0.0.1"], {
        cwd: path4.join(root, "apps/web"),
        env: { ...process.env, TRELLIS_SERVER: cpUrl, NEXT_TELEMETRY_DISABLED: "1", PORT: String(dashboardPort) },
        ready: /Ready in|started server|Local:/i
      });
      say(`\u2713 dashboard       http://127.0.0.1:${dashboardPort}`);
    }
    say(`
logs: ${logDir}`);
    say(withDashboard ? `dashboard: http://127.0.0.1:${dashboardPort}` : `control plane: ${cpUrl}`);
  } catch (err) {
    await stopAll();
    throw err instanceof CliError ? err : new CliError(`trellis up: ${err.message}`);
  }
  await new Promise((resolve) => {
    const stop = (signal) => {
      say(`
${signal}: stopping everything ...`);
      void stopAll().then(resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  say("stopped.");
  return 0;
}
export {
  run
};
//# sourceMappingURL=up-N32YSXBP.js.map
