import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);
import {
  HEARTBEAT_INTERVAL_MS,
  LATENCY_BUCKETS_MS,
  STREAM_PATH,
  STREAM_PROTOCOL_VERSION,
  controlMessage,
  describeErrors,
  formatIssues,
  latencyBucket,
  snapshotSchema
} from "./chunk-YSHB62M6.js";
import {
  cliEnv,
  parseCommandArgs,
  parsePort
} from "./chunk-PHGOFVAU.js";
import {
  CliError
} from "./chunk-EUPKLWFB.js";

// apps/cli/src/commands/proxy.ts
import path3 from "node:path";

// apps/proxy/src/proxy.ts
import { performance as performance7 } from "node:perf_hooks";
import { Counter } from "prom-client";

// apps/proxy/src/admin/server.ts
import http from "node:http";
var AdminServer = class {
  constructor(workloads, registry) {
    this.workloads = workloads;
    this.registry = registry;
    this.server = http.createServer((req, res) => {
      this.route(req.url ?? "/").then(
        ({ status, type, body }) => {
          res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
          res.end(body);
        },
        (err) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(`${err.message}
`);
        }
      );
    });
  }
  workloads;
  registry;
  server;
  draining = false;
  async listen(port, host) {
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    return this.server.address().port;
  }
  close() {
    this.server.close();
    this.server.closeAllConnections();
  }
  async route(url) {
    const path4 = url.split("?")[0];
    const text = (status, body) => ({ status, type: "text/plain; charset=utf-8", body: `${body}
` });
    switch (path4) {
      case "/ready": {
        if (this.draining) return text(503, "draining");
        const waiting = this.workloads.filter((w) => !w.ready).map((w) => w.self);
        return waiting.length === 0 ? text(200, "ready") : text(503, `waiting for a snapshot: ${waiting.join(", ")}`);
      }
      case "/config": {
        const described = this.workloads.map((w) => w.describe());
        const body = described.length === 1 ? described[0] : { workloads: described };
        return { status: 200, type: "application/json", body: JSON.stringify(body, null, 2) };
      }
      case "/metrics":
        return { status: 200, type: this.registry.contentType, body: await this.registry.metrics() };
      default:
        return text(404, "admin endpoints: /ready /config /metrics");
    }
  }
};

// apps/proxy/src/ratelimit/redis-limiter.ts
var TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, math.floor(tokens), wait}
`;
var COMMAND_TIMEOUT_MS = 100;
var connections = /* @__PURE__ */ new Map();
async function connect(url) {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    // Fail fast instead of queueing while Redis is away: the failure mode decides, not a growing queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 1e3,
    retryStrategy: (times) => Math.min(times * 200, 2e3),
    lazyConnect: false
  });
  redis.on("error", () => void 0);
  redis.defineCommand("trellisTake", { numberOfKeys: 1, lua: TAKE_SCRIPT });
  return redis;
}
async function closeRedisConnections() {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map(async (p) => (await p).quit().catch(() => void 0)));
}
var redisFailures = { count: 0 };
var GlobalRateLimiter = class {
  constructor(url, id, rate, burst) {
    this.id = id;
    this.rate = rate;
    this.burst = burst;
    let redis = connections.get(url);
    if (!redis) connections.set(url, redis = connect(url));
    this.redis = redis;
  }
  id;
  rate;
  burst;
  redis;
  /** Takes a token, or returns undefined when Redis cannot answer (the caller applies the failure mode). */
  async take(key) {
    try {
      const redis = await this.redis;
      const [allowed, remaining, wait] = await redis.trellisTake(`trellis:ratelimit:${this.id}:${key}`, this.rate, this.burst);
      return { allowed: allowed === 1, remaining, retryAfterMs: wait };
    } catch {
      redisFailures.count++;
      return void 0;
    }
  }
};

// apps/proxy/src/telemetry/metrics.ts
import { Registry, collectDefaultMetrics } from "prom-client";

// apps/proxy/src/telemetry/edges.ts
var PROM_BUCKETS_S = [5e-4, 1e-3, 25e-4, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
var PROM_BUCKETS_MS = PROM_BUCKETS_S.map((s) => s * 1e3);
var CLASSES = ["2xx", "3xx", "4xx", "5xx"];
var MAX_INBOUND_SOURCES = 1e3;
var EdgeStats = class {
  constructor(source, destination, route, version, side) {
    this.source = source;
    this.destination = destination;
    this.route = route;
    this.version = version;
    this.side = side;
  }
  source;
  destination;
  route;
  version;
  side;
  /** Cumulative requests by exact status code. */
  codes = /* @__PURE__ */ new Map();
  byClass = [void 0, void 0, void 0, void 0];
  retries = 0;
  rateLimited = 0;
  cacheHits = 0;
  ejections = 0;
  // Interval counters, zeroed by takeDelta().
  intervalCodes = [0, 0, 0, 0];
  intervalLatency = new Float64Array(LATENCY_BUCKETS_MS.length);
  intervalRetries = 0;
  intervalRateLimited = 0;
  intervalEjections = 0;
  dirty = false;
  record(status, durationMs, retries, rateLimited, cacheHit, ejections) {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1);
    const cls = Math.min(3, Math.max(0, (status / 100 | 0) - 2));
    let h = this.byClass[cls];
    if (!h) {
      h = { buckets: new Float64Array(PROM_BUCKETS_MS.length + 1), sumSeconds: 0, count: 0 };
      this.byClass[cls] = h;
    }
    let b = 0;
    while (b < PROM_BUCKETS_MS.length && durationMs > (PROM_BUCKETS_MS[b] ?? Infinity)) b++;
    h.buckets[b] = (h.buckets[b] ?? 0) + 1;
    h.sumSeconds += durationMs / 1e3;
    h.count++;
    this.intervalCodes[cls] = (this.intervalCodes[cls] ?? 0) + 1;
    const fine = latencyBucket(durationMs);
    this.intervalLatency[fine] = (this.intervalLatency[fine] ?? 0) + 1;
    if (retries > 0) {
      this.retries += retries;
      this.intervalRetries += retries;
    }
    if (rateLimited) {
      this.rateLimited++;
      this.intervalRateLimited++;
    }
    if (cacheHit) this.cacheHits++;
    if (ejections > 0) {
      this.ejections += ejections;
      this.intervalEjections += ejections;
    }
    this.dirty = true;
  }
  /** What happened since the last call, or undefined when nothing did. */
  takeDelta() {
    if (!this.dirty) return void 0;
    this.dirty = false;
    const latency = {};
    const fine = this.intervalLatency;
    for (let i = 0; i < fine.length; i++) {
      const n = fine[i] ?? 0;
      if (n > 0) latency[i] = n;
    }
    fine.fill(0);
    const [c2 = 0, c3 = 0, c4 = 0, c5 = 0] = this.intervalCodes;
    const delta = {
      source: this.source,
      destination: this.destination,
      route: this.route,
      side: this.side,
      codes: { "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 },
      latency,
      retries: this.intervalRetries,
      rateLimited: this.intervalRateLimited,
      ejections: this.intervalEjections
    };
    if (this.version !== void 0) delta.version = this.version;
    this.intervalCodes.fill(0);
    this.intervalRetries = 0;
    this.intervalRateLimited = 0;
    this.intervalEjections = 0;
    return delta;
  }
  /** Whether this edge belongs in the request counters: the caller's side, or callers outside the mesh. */
  get reported() {
    return this.side === "outbound" || this.source === "external";
  }
};
var statusClassName = (index) => CLASSES[index] ?? "other";
var EdgeTable = class {
  constructor(self, selfVersion) {
    this.self = self;
    this.selfVersion = selfVersion;
  }
  self;
  selfVersion;
  outbound = /* @__PURE__ */ new Map();
  inbound = /* @__PURE__ */ new Map();
  list = [];
  outboundEdge(destination, route, version) {
    let byRoute = this.outbound.get(destination);
    if (!byRoute) this.outbound.set(destination, byRoute = /* @__PURE__ */ new Map());
    let byVersion = byRoute.get(route);
    if (!byVersion) byRoute.set(route, byVersion = /* @__PURE__ */ new Map());
    const v = version ?? "";
    let edge = byVersion.get(v);
    if (!edge) {
      edge = new EdgeStats(this.self, destination, route, version, "outbound");
      byVersion.set(v, edge);
      this.list.push(edge);
    }
    return edge;
  }
  inboundEdge(source, route) {
    if (this.inbound.size >= MAX_INBOUND_SOURCES && !this.inbound.has(source)) source = "other";
    let byRoute = this.inbound.get(source);
    if (!byRoute) this.inbound.set(source, byRoute = /* @__PURE__ */ new Map());
    let edge = byRoute.get(route);
    if (!edge) {
      edge = new EdgeStats(source, this.self, route, this.selfVersion, "inbound");
      byRoute.set(route, edge);
      this.list.push(edge);
    }
    return edge;
  }
  /** The interval deltas of every edge the control plane should hear about. */
  takeDeltas() {
    const out = [];
    for (const edge of this.list) {
      const delta = edge.takeDelta();
      if (delta && edge.reported) out.push(delta);
    }
    return out;
  }
};

// apps/proxy/src/telemetry/metrics.ts
function scrapeTime(name, help, type, collect) {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: collect() }),
    reset: () => void 0
  };
  return metric;
}
function add(into, labels, value) {
  const key = JSON.stringify(labels);
  const found = into.get(key);
  if (found) found.value += value;
  else into.set(key, { labels, value });
}
function createMetricsRegistry(sources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "trellis_proxy_" });
  const edges = function* () {
    for (const source of sources()) yield* source.edges.list;
  };
  registry.registerMetric(
    scrapeTime("trellis_requests_total", "Requests by edge, route and status code.", "counter", () => {
      const out = /* @__PURE__ */ new Map();
      for (const e of edges()) {
        if (!e.reported) continue;
        for (const [code, n] of e.codes) {
          add(out, { source_service: e.source, destination_service: e.destination, route: e.route, code }, n);
        }
      }
      return [...out.values()];
    })
  );
  registry.registerMetric(
    scrapeTime("trellis_request_duration_seconds", "Request duration by edge, route and status class.", "histogram", () => {
      const out = [];
      const merged = /* @__PURE__ */ new Map();
      for (const e of edges()) {
        if (!e.reported) continue;
        e.byClass.forEach((h, i) => {
          if (!h) return;
          const labels = { source_service: e.source, destination_service: e.destination, route: e.route, code_class: statusClassName(i) };
          const key = JSON.stringify(labels);
          let m = merged.get(key);
          if (!m) merged.set(key, m = { labels, buckets: new Array(h.buckets.length).fill(0), sum: 0, count: 0 });
          for (let b = 0; b < h.buckets.length; b++) m.buckets[b] = (m.buckets[b] ?? 0) + (h.buckets[b] ?? 0);
          m.sum += h.sumSeconds;
          m.count += h.count;
        });
      }
      for (const m of merged.values()) {
        let cumulative = 0;
        m.buckets.forEach((n, b) => {
          cumulative += n;
          const le = b < PROM_BUCKETS_S.length ? PROM_BUCKETS_S[b] ?? 0 : "+Inf";
          out.push({ metricName: "trellis_request_duration_seconds_bucket", labels: { ...m.labels, le }, value: cumulative });
        });
        out.push({ metricName: "trellis_request_duration_seconds_sum", labels: m.labels, value: m.sum });
        out.push({ metricName: "trellis_request_duration_seconds_count", labels: m.labels, value: m.count });
      }
      return out;
    })
  );
  const edgeCounter = (name, help, side, pick) => scrapeTime(name, help, "counter", () => {
    const out = /* @__PURE__ */ new Map();
    for (const e of edges()) {
      const n = pick(e);
      if (e.side === side && n > 0) add(out, { source_service: e.source, destination_service: e.destination, route: e.route }, n);
    }
    return [...out.values()];
  });
  registry.registerMetric(edgeCounter("trellis_retries_total", "Retries sent by this proxy.", "outbound", (e) => e.retries));
  registry.registerMetric(edgeCounter("trellis_rate_limited_total", "Requests this proxy refused with 429.", "inbound", (e) => e.rateLimited));
  registry.registerMetric(edgeCounter("trellis_cache_hits_total", "Responses served from the cache.", "inbound", (e) => e.cacheHits));
  registry.registerMetric(edgeCounter("trellis_outlier_ejections_total", "Endpoints ejected by outlier detection.", "outbound", (e) => e.ejections));
  registry.registerMetric(
    scrapeTime("trellis_circuit_open", "1 while the circuit breaker turns requests to a service away.", "gauge", () => {
      const out = [];
      for (const source of sources()) {
        for (const u of source.upstreams()) {
          if (u.limits) out.push({ labels: { source_service: source.self, destination_service: u.key }, value: u.circuitOpen ? 1 : 0 });
        }
      }
      return out;
    })
  );
  registry.registerMetric(
    scrapeTime(
      "trellis_config_version",
      "Version of the snapshot in force (0 before the first).",
      "gauge",
      () => [...sources()].map((s) => ({ labels: { service: s.self }, value: s.configVersion() ?? 0 }))
    )
  );
  return registry;
}

// apps/proxy/src/workload.ts
import os from "node:os";
import path2 from "node:path";
import { performance as performance6 } from "node:perf_hooks";

// packages/stream-client/src/client.ts
import { EventEmitter } from "node:events";
import WebSocket from "ws";

// packages/stream-client/src/backoff.ts
function backoffDelay(attempt, baseMs = 250, maxMs = 1e4, random = Math.random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

// packages/stream-client/src/disk-cache.ts
import { mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
var saves = 0;
async function saveSnapshot(file, snapshot) {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${++saves}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(snapshot));
    const handle = await open(tmp, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {
    });
    throw err;
  }
}
async function loadSnapshot(file) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return {};
  }
  try {
    const parsed = snapshotSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { snapshot: parsed.data };
    return { problem: `${file} does not hold a valid snapshot: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  } catch (err) {
    return { problem: `${file} is not JSON: ${err.message}` };
  }
}

// packages/stream-client/src/client.ts
var StreamClient = class extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
  }
  options;
  ws;
  current;
  attempt = 0;
  closed = false;
  heartbeat;
  reconnectTimer;
  lastHeard = 0;
  applying = Promise.resolve();
  state = "disconnected";
  /** The snapshot in force, if any. */
  get snapshot() {
    return this.current;
  }
  /** Loads the disk copy (when there is one) and starts connecting; resolves once the disk copy is applied. */
  async start() {
    const { cacheFile, log } = this.options;
    if (cacheFile) {
      const { snapshot, problem } = await loadSnapshot(cacheFile);
      if (problem) log?.(`ignoring the saved snapshot: ${problem}`);
      if (snapshot) {
        try {
          await this.options.apply(snapshot, "disk");
          this.current = snapshot;
          this.emit("applied", snapshot);
          log?.(`serving saved snapshot version ${snapshot.version} from ${cacheFile} until the control plane answers`);
        } catch (err) {
          log?.(`the saved snapshot could not be applied: ${err.message}`);
        }
      }
    }
    this.connect();
  }
  /** Sends a telemetry message if connected; telemetry is best effort and is dropped otherwise. */
  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }
  /** Bytes waiting in the socket's buffer: senders can hold back when the control plane is slow. */
  get bufferedAmount() {
    return this.ws?.bufferedAmount ?? 0;
  }
  async close() {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    this.setState("closed");
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1e3, "proxy stopping");
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1e3).unref();
    });
  }
  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }
  connect() {
    if (this.closed) return;
    const url = new URL(STREAM_PATH, this.options.controlPlane.replace(/^http/, "ws"));
    this.setState("connecting");
    const ws = new WebSocket(url, { handshakeTimeout: 5e3, perMessageDeflate: false });
    this.ws = ws;
    ws.on("open", () => {
      this.lastHeard = Date.now();
      this.setState("connected");
      const { identity } = this.options;
      this.send({
        type: "hello",
        protocol: STREAM_PROTOCOL_VERSION,
        proxy: { namespace: "default", labels: {}, ports: {}, ...identity },
        ...this.current ? { current: { version: this.current.version, digest: this.current.digest } } : {}
      });
      const every = this.options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS;
      this.heartbeat = setInterval(() => {
        if (Date.now() - this.lastHeard > every * 3) ws.terminate();
        else this.send({ type: "ping", at: Date.now() });
      }, every);
      this.heartbeat.unref();
    });
    ws.on("message", (data) => {
      this.lastHeard = Date.now();
      this.onMessage(data.toString("utf8"));
    });
    ws.on("error", (err) => {
      if (this.state === "connecting" && this.attempt === 0) this.options.log?.(`control plane unreachable at ${url.origin}: ${err.message}`);
    });
    ws.on("close", () => {
      clearInterval(this.heartbeat);
      if (this.ws !== ws) return;
      this.ws = void 0;
      if (this.closed) return;
      this.setState("disconnected");
      const delay = backoffDelay(this.attempt++);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
      this.reconnectTimer.unref();
    });
  }
  onMessage(text) {
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      this.options.log?.("control plane sent a message that is not JSON; ignored");
      return;
    }
    const type = json?.type;
    if (type === "snapshot" || type === "pong") this.attempt = 0;
    if (type === "snapshot") {
      this.applying = this.applying.then(() => this.onSnapshot(json.snapshot));
      return;
    }
    const parsed = controlMessage.safeParse(json);
    if (!parsed.success) return;
    if (parsed.data.type === "error") this.options.log?.(`control plane: ${parsed.data.message}`);
  }
  async onSnapshot(raw) {
    const version = typeof raw?.version === "number" ? raw.version : -1;
    const parsed = snapshotSchema.safeParse(raw);
    if (!parsed.success) {
      this.reject(version, `invalid snapshot: ${describeErrors(formatIssues(parsed.error.issues))}`);
      return;
    }
    const snapshot = parsed.data;
    try {
      await this.options.apply(snapshot, "control-plane");
    } catch (err) {
      this.reject(version, err.message);
      return;
    }
    this.current = snapshot;
    this.send({ type: "ack", version: snapshot.version });
    this.emit("applied", snapshot);
    if (this.options.cacheFile) {
      await saveSnapshot(this.options.cacheFile, snapshot).catch(
        (err) => this.options.log?.(`could not save the snapshot to ${this.options.cacheFile}: ${err.message}`)
      );
    }
  }
  reject(version, reason) {
    this.options.log?.(`refused snapshot version ${version}: ${reason}`);
    this.send({ type: "nack", version, reason });
    this.emit("rejected", { version, reason });
  }
};

// apps/proxy/src/chain.ts
import { performance as performance3 } from "node:perf_hooks";

// apps/proxy/src/upstream/endpoint.ts
import { Pool } from "undici";
var KEEP_ALIVE_MS = 4e3;
var CONNECT_TIMEOUT_MS = 5e3;
var DEFAULT_UPSTREAM_TIMEOUT_MS = 3e5;
function fnv1a(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
var EndpointState = class {
  constructor(address, port, connectionLimit, meta = { labels: {} }) {
    this.address = address;
    this.port = port;
    this.connectionLimit = connectionLimit;
    this.key = `${address}:${port}`;
    this.hash = fnv1a(this.key);
    this.zone = meta.zone;
    this.labels = meta.labels;
    this.version = meta.labels.version;
  }
  address;
  port;
  connectionLimit;
  key;
  hash;
  zone;
  labels;
  /** The endpoint's version label (telemetry reports which subset served a request). */
  version;
  /** Requests sent and not yet finished (least-request and EWMA balancers read it). */
  active = 0;
  /** Peak-EWMA of response time in ms; 0 until the first response. */
  ewmaMs = 0;
  ewmaAt = 0;
  // Outlier detection state (upstream/outlier.ts writes it).
  consecutiveErrors = 0;
  ejectedUntil = 0;
  ejectionCount = 0;
  pool;
  /** Updates what discovery may change without replacing the endpoint (zone, labels). */
  update(meta, connectionLimit) {
    this.zone = meta.zone;
    this.labels = meta.labels;
    this.version = meta.labels.version;
    if (connectionLimit !== this.connectionLimit) {
      this.connectionLimit = connectionLimit;
      const old = this.pool;
      this.pool = void 0;
      void old?.close().catch(() => void 0);
    }
  }
  /** False while outlier detection has it ejected. */
  isAvailable(now) {
    return this.ejectedUntil <= now;
  }
  /** The keep-alive connection pool to this endpoint, created on first use. */
  connections() {
    this.pool ??= new Pool(`http://${this.key}`, {
      connections: this.connectionLimit,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Without a TimeoutPolicy: 5 minutes for the response head, and for silence inside a body.
      headersTimeout: DEFAULT_UPSTREAM_TIMEOUT_MS,
      bodyTimeout: DEFAULT_UPSTREAM_TIMEOUT_MS
    });
    return this.pool;
  }
  /**
   * Retires the endpoint (it left the service): balancers stop picking it, requests in flight finish,
   * then the connections close. A chain from the previous snapshot that still holds it gets a closed
   * pool (a fast, retriable failure) rather than a new connection.
   */
  async close() {
    this.ejectedUntil = Infinity;
    await this.pool?.close().catch(() => void 0);
  }
  /** Closes the connections now, failing whatever is in flight (used when a drain deadline passes). */
  async destroy() {
    this.ejectedUntil = Infinity;
    await this.pool?.destroy().catch(() => void 0);
  }
};

// apps/proxy/src/balancer/endpoint-set.ts
var EndpointSet = class _EndpointSet {
  constructor(all, zone) {
    this.all = all;
    this.local = zone === void 0 ? [] : all.filter((e) => e.zone === zone);
  }
  all;
  /** Endpoints in the proxy's own zone (empty when the proxy has no zone). */
  local;
  /** Endpoints whose labels include every label of `selector`. */
  static select(all, selector, zone) {
    const entries = Object.entries(selector);
    return new _EndpointSet(
      all.filter((e) => entries.every(([k, v]) => e.labels[k] === v)),
      zone
    );
  }
};
function anyAvailable(list, now) {
  for (const e of list) if (e.isAvailable(now)) return true;
  return false;
}
function randomAvailable(list, now) {
  const n = list.length;
  if (n === 0) return void 0;
  const start = Math.random() * n | 0;
  for (let i = 0; i < n; i++) {
    const e = list[(start + i) % n];
    if (e?.isAvailable(now)) return e;
  }
  return void 0;
}

// apps/proxy/src/balancer/consistent-hash.ts
function mix(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 2246822507);
  h ^= h >>> 13;
  h = Math.imul(h, 3266489909);
  h ^= h >>> 16;
  return h >>> 0;
}
function cookieValue(header, name) {
  if (!header) return void 0;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return void 0;
    const before = at === 0 ? " " : header[at - 1];
    if ((before === " " || before === ";") && header[at + name.length] === "=") {
      const end = header.indexOf(";", at);
      return header.slice(at + name.length + 1, end === -1 ? void 0 : end).trim();
    }
    from = at + name.length;
  }
  return void 0;
}
function consistentHash(hashOn) {
  const header = hashOn && "header" in hashOn ? hashOn.header.toLowerCase() : void 0;
  const cookie = hashOn && "cookie" in hashOn ? hashOn.cookie : void 0;
  const keyOf = (req) => header !== void 0 ? req.header(header) : cookie !== void 0 ? cookieValue(req.header("cookie"), cookie) : void 0;
  return (list, req, now) => {
    const key = keyOf(req);
    if (key === void 0) return randomAvailable(list, now);
    const keyHash = fnv1a(key);
    let best;
    let bestScore = -1;
    for (const e of list) {
      if (!e.isAvailable(now)) continue;
      const score = mix(keyHash ^ e.hash);
      if (score > bestScore) {
        bestScore = score;
        best = e;
      }
    }
    return best;
  };
}

// apps/proxy/src/balancer/least-request.ts
function powerOfTwo(score) {
  return (list, _req, now) => {
    const n = list.length;
    if (n < 2) return randomAvailable(list, now);
    const i = Math.random() * n | 0;
    const a = list[i];
    const b = list[(i + 1 + (Math.random() * (n - 1) | 0)) % n];
    const aOk = a?.isAvailable(now) ?? false;
    const bOk = b?.isAvailable(now) ?? false;
    if (aOk && bOk && a && b) return score(b) < score(a) ? b : a;
    if (aOk) return a;
    if (bOk) return b;
    return randomAvailable(list, now);
  };
}
var leastRequest = () => powerOfTwo((e) => e.active);

// apps/proxy/src/balancer/ewma.ts
var cost = (e) => (e.ewmaMs + 1) * (e.active + 1);
var ewma = () => powerOfTwo(cost);

// apps/proxy/src/balancer/round-robin.ts
function roundRobin() {
  let next = 0;
  return (list, _req, now) => {
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const e = list[next++ % n];
      if (next >= 1073741823) next = 0;
      if (e?.isAvailable(now)) return e;
    }
    return void 0;
  };
}

// apps/proxy/src/balancer/index.ts
function algorithm(config) {
  switch (config.algorithm) {
    case "RoundRobin":
      return roundRobin();
    case "LeastRequest":
      return leastRequest();
    case "EWMA":
      return ewma();
    case "ConsistentHash":
      return consistentHash(config.hashOn);
  }
}
function createBalancer(config) {
  const pick = algorithm(config);
  if (!config.localityAware) return (set, req, now) => pick(set.all, req, now);
  return (set, req, now) => pick(set.local.length > 0 && anyAvailable(set.local, now) ? set.local : set.all, req, now);
}

// apps/proxy/src/config/match.ts
var fullMatch = (pattern) => new RegExp(`^(?:${pattern})$`);
function pathPredicate(path4) {
  switch (path4.type) {
    case "Exact":
      return (p) => p === path4.value;
    case "PathPrefix": {
      const prefix = path4.value.length > 1 && path4.value.endsWith("/") ? path4.value.slice(0, -1) : path4.value;
      if (prefix === "/") return () => true;
      return (p) => p.startsWith(prefix) && (p.length === prefix.length || p.charCodeAt(prefix.length) === 47);
    }
    case "RegularExpression": {
      const re = fullMatch(path4.value);
      return (p) => re.test(p);
    }
  }
}
function valuePredicate(m) {
  if (m.type === "Exact") return (v) => v === m.value;
  const re = fullMatch(m.value);
  return (v) => v !== void 0 && re.test(v);
}
function queryValue(url, name) {
  const q = url.indexOf("?");
  if (q === -1) return void 0;
  return new URLSearchParams(url.slice(q + 1)).get(name) ?? void 0;
}
function compileMatch(match) {
  const checks = [];
  if (match.method) {
    const method = match.method;
    checks.push((req) => req.method === method);
  }
  if (match.path) {
    const test = pathPredicate(match.path);
    checks.push((req) => test(req.path));
  }
  for (const h of match.headers ?? []) {
    const name = h.name.toLowerCase();
    const test = valuePredicate(h);
    checks.push((req) => test(req.header(name)));
  }
  for (const q of match.queryParams ?? []) {
    const test = valuePredicate(q);
    checks.push((req) => test(queryValue(req.url, q.name)));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0] ?? (() => true);
  return (req) => {
    for (const check of checks) if (!check(req)) return false;
    return true;
  };
}

// apps/proxy/src/http/reasons.ts
var REASONS = {
  "unknown-service": { status: 404, message: "unknown service" },
  "no-route": { status: 404, message: "no route" },
  denied: { status: 403, message: "denied by authorization policy" },
  "rate-limited": { status: 429, message: "rate limited" },
  "rate-limiter-unavailable": { status: 503, message: "rate limiter unavailable" },
  "fault-injected": { status: 503, message: "fault injected" },
  "no-healthy-endpoint": { status: 503, message: "no healthy endpoint" },
  "circuit-open": { status: 503, message: "circuit open" },
  "upstream-connect-error": { status: 503, message: "upstream connect error" },
  "upstream-connect-timeout": { status: 504, message: "upstream connect timeout" },
  "upstream-reset": { status: 502, message: "upstream reset" },
  "upstream-protocol-error": { status: 502, message: "upstream protocol error" },
  timeout: { status: 504, message: "upstream request timeout" },
  "idle-timeout": { status: 504, message: "upstream idle timeout" },
  "not-ready": { status: 503, message: "proxy has no configuration yet" },
  draining: { status: 503, message: "proxy is shutting down" },
  "no-local-app": { status: 503, message: "no local app configured" },
  "bad-request": { status: 400, message: "bad request" },
  "headers-too-large": { status: 431, message: "request headers too large" },
  "request-timeout": { status: 408, message: "request timeout" },
  "internal-error": { status: 500, message: "proxy internal error" }
};
function proxyError(reason, detail, extra) {
  const entry = REASONS[reason];
  const body = detail ? `${entry.message}: ${detail}
` : `${entry.message}
`;
  const headers = {
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "x-trellis-reason": reason
  };
  if (extra?.headers) Object.assign(headers, extra.headers);
  const response = { status: extra?.status ?? entry.status, headers, body, reason };
  if (extra?.failure) response.failure = extra.failure;
  return response;
}

// apps/proxy/src/http/cancellation.ts
var Cancellation = class {
  cancelled = false;
  /** Why: the client went away, or a timeout (route or per-try) ran out. */
  reason = void 0;
  listeners = void 0;
  /** Runs `listener` once when cancelled (at once if already cancelled). */
  onCancel(listener) {
    if (this.cancelled) listener();
    else (this.listeners ??= []).push(listener);
  }
  offCancel(listener) {
    const list = this.listeners;
    if (!list) return;
    const i = list.indexOf(listener);
    if (i !== -1) list.splice(i, 1);
  }
  cancel(reason = "client-gone") {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = void 0;
    if (list) for (const listener of list) listener();
  }
};
function sleep(ms, cancellation) {
  if (cancellation.cancelled) return Promise.resolve(false);
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      cancellation.offCancel(wake);
      resolve(true);
    }, ms);
    cancellation.onCancel(wake);
  });
}

// apps/proxy/src/http/hop-by-hop.ts
var HOP_BY_HOP = /* @__PURE__ */ new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "http2-settings"
]);
function listedInConnection(connection) {
  if (connection === void 0) return void 0;
  const text = Array.isArray(connection) ? connection.join(",") : connection;
  if (text === "keep-alive" || text === "close" || text === "Keep-Alive" || text === "upgrade" || text === "Upgrade") return void 0;
  const names = /* @__PURE__ */ new Set();
  for (const part of text.split(",")) {
    const name = part.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}
function withoutHopByHop(headers, keepTeTrailers) {
  const listed = listedInConnection(headers.connection);
  const out = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name)) {
      if (keepTeTrailers && name === "te" && String(headers.te).toLowerCase().includes("trailers")) out.te = "trailers";
      continue;
    }
    if (listed?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
function addForwardedHeaders(headers, clientAddress) {
  if (clientAddress) {
    const prior = headers["x-forwarded-for"];
    const ip = clientAddress.startsWith("::ffff:") ? clientAddress.slice(7) : clientAddress;
    headers["x-forwarded-for"] = prior === void 0 ? ip : `${Array.isArray(prior) ? prior.join(", ") : prior}, ${ip}`;
  }
  if (headers["x-forwarded-proto"] === void 0) headers["x-forwarded-proto"] = "http";
}

// apps/proxy/src/upstream/errors.ts
var TRANSPORT_ERRORS = {
  ECONNREFUSED: { reason: "upstream-connect-error", failure: "connect-failure" },
  EHOSTUNREACH: { reason: "upstream-connect-error", failure: "connect-failure" },
  ENETUNREACH: { reason: "upstream-connect-error", failure: "connect-failure" },
  EADDRNOTAVAIL: { reason: "upstream-connect-error", failure: "connect-failure" },
  ENOTFOUND: { reason: "upstream-connect-error", failure: "connect-failure" },
  EAI_AGAIN: { reason: "upstream-connect-error", failure: "connect-failure" },
  UND_ERR_CONNECT_TIMEOUT: { reason: "upstream-connect-timeout", failure: "connect-failure" },
  ECONNRESET: { reason: "upstream-reset", failure: "reset" },
  EPIPE: { reason: "upstream-reset", failure: "reset" },
  UND_ERR_SOCKET: { reason: "upstream-reset", failure: "reset" },
  UND_ERR_CLOSED: { reason: "upstream-reset", failure: "reset" },
  UND_ERR_HEADERS_TIMEOUT: { reason: "timeout", failure: "timeout" },
  UND_ERR_BODY_TIMEOUT: { reason: "idle-timeout", failure: "timeout" },
  UND_ERR_HEADERS_OVERFLOW: { reason: "upstream-protocol-error", failure: "protocol" },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { reason: "upstream-protocol-error", failure: "protocol" },
  HPE_INVALID_CONSTANT: { reason: "upstream-protocol-error", failure: "protocol" }
};
var FALLBACK = { reason: "upstream-reset", failure: "reset" };
function transportErrorResponse(err, target) {
  const e = err;
  const code = e.code && TRANSPORT_ERRORS[e.code] ? e.code : e.cause?.code ?? e.code ?? "";
  const entry = (code.startsWith("HPE_") ? TRANSPORT_ERRORS.HPE_INVALID_CONSTANT : TRANSPORT_ERRORS[code]) ?? FALLBACK;
  const detail = `${target}: ${code ? `${code} ` : ""}${e.message}`;
  return proxyError(entry.reason, detail, { failure: entry.failure });
}

// apps/proxy/src/upstream/response-body.ts
var HIGH_WATER_BYTES = 64 * 1024;
var UpstreamBody = class {
  constructor(controller) {
    this.controller = controller;
  }
  controller;
  queue = void 0;
  queued = 0;
  sink = void 0;
  state = "open";
  discarding = false;
  closeListeners = void 0;
  tap = void 0;
  // ---- fed by the upstream call ----
  push(chunk) {
    this.tap?.data(chunk);
    if (this.discarding) return;
    const sink = this.sink;
    if (sink) {
      if (sink.destroyed) return this.abort();
      if (!sink.write(chunk)) {
        this.controller.pause();
        sink.once("drain", this.resume);
      }
      return;
    }
    (this.queue ??= []).push(chunk);
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER_BYTES) this.controller.pause();
  }
  complete() {
    if (this.state !== "open") return;
    this.state = "complete";
    this.tap?.end(true);
    this.sink?.end();
    this.closed();
  }
  fail(err) {
    if (this.state !== "open") return;
    this.state = "failed";
    this.tap?.end(false);
    this.sink?.destroy(err);
    this.closed();
  }
  // ---- read by the listener and filters ----
  /** Writes the body into the client's response (once), then ends it. */
  pipeTo(sink) {
    this.sink = sink;
    const queue = this.queue;
    this.queue = void 0;
    let writable = true;
    if (queue) for (const chunk of queue) writable = sink.write(chunk);
    this.queued = 0;
    if (this.state === "complete") sink.end();
    else if (this.state === "failed") sink.destroy();
    else if (!writable) {
      this.controller.pause();
      sink.once("drain", this.resume);
    } else this.controller.resume();
  }
  /** Reads the rest and throws it away, keeping the upstream connection reusable. */
  discard() {
    this.discarding = true;
    this.queue = void 0;
    this.queued = 0;
    this.controller.resume();
  }
  /** Stops the transfer now (the connection is closed). */
  abort() {
    if (this.state !== "open") return;
    this.controller.abort(new Error("response body abandoned"));
    this.fail(new Error("response body abandoned"));
  }
  /** Runs `listener` once when the body is over, complete or not. */
  onClose(listener) {
    if (this.state !== "open") listener();
    else (this.closeListeners ??= []).push(listener);
  }
  /**
   * Lets `tap` see the whole body. Must be set before pipeTo(): small bodies often arrive complete
   * before anyone looks at them, so what is queued is replayed first.
   */
  setTap(tap) {
    if (this.sink || this.discarding) return tap.end(false);
    if (this.queue) for (const chunk of this.queue) tap.data(chunk);
    if (this.state !== "open") return tap.end(this.state === "complete");
    this.tap = tap;
  }
  get isOpen() {
    return this.state === "open";
  }
  resume = () => {
    if (this.state === "open") this.controller.resume();
  };
  closed() {
    const list = this.closeListeners;
    this.closeListeners = void 0;
    if (list) for (const listener of list) listener();
  }
};

// apps/proxy/src/upstream/call.ts
var Attempt = class {
  constructor(target, request, resolve, headersTimeoutMs) {
    this.target = target;
    this.request = request;
    this.resolve = resolve;
    if (headersTimeoutMs === void 0) {
      this.cancellation = request;
    } else {
      const own = new Cancellation();
      this.cancellation = own;
      this.timer = setTimeout(() => own.cancel("timeout"), headersTimeoutMs);
      request.onCancel(this.forward);
    }
    this.cancellation.onCancel(this.cancel);
  }
  target;
  request;
  resolve;
  controller = void 0;
  body = void 0;
  settled = false;
  timer = void 0;
  cancellation;
  forward = () => this.cancellation.cancel(this.request.reason);
  /** The attempt is over (or its head arrived): stop its timer and listeners. */
  release(headOnly) {
    clearTimeout(this.timer);
    if (headOnly) return;
    this.cancellation.offCancel(this.cancel);
    if (this.cancellation !== this.request) this.request.offCancel(this.forward);
  }
  cancel = () => {
    const err = this.cancellation.reason === "timeout" ? Object.assign(new Error("no response head before the per-try timeout"), { code: "UND_ERR_HEADERS_TIMEOUT" }) : Object.assign(new Error("request cancelled"), { code: "UND_ERR_ABORTED" });
    if (this.controller) this.controller.abort(err);
    else this.onResponseError(void 0, err);
  };
  onRequestStart(controller) {
    this.controller = controller;
    if (this.cancellation.cancelled) controller.abort(new Error("request cancelled"));
  }
  onResponseStart(controller, statusCode, headers) {
    if (statusCode < 200) return;
    this.release(true);
    this.body = new UpstreamBody(controller);
    this.settled = true;
    this.resolve({ status: statusCode, headers: withoutHopByHop(headers, false), body: this.body });
  }
  onResponseData(_controller, chunk) {
    this.body?.push(chunk);
  }
  onResponseEnd() {
    this.release(false);
    this.body?.complete();
  }
  onResponseError(_controller, err) {
    this.release(false);
    if (this.body) this.body.fail(err);
    if (this.settled) return;
    this.settled = true;
    this.resolve(transportErrorResponse(err, this.target));
  }
};
function sendToEndpoint(endpoint, req, headers, cancellation, timeouts) {
  return new Promise((resolve) => {
    const options = {
      path: req.url,
      method: req.method,
      headers,
      body: req.body
    };
    if (timeouts.bodyTimeoutMs !== void 0) options.bodyTimeout = timeouts.bodyTimeoutMs;
    const attempt = new Attempt(endpoint.key, cancellation, resolve, timeouts.headersTimeoutMs);
    try {
      endpoint.connections().dispatch(options, attempt);
    } catch (err) {
      attempt.onResponseError(void 0, err);
    }
  });
}
function discardBody(response) {
  if (response.body instanceof UpstreamBody) response.body.discard();
}
function onResponseEnd(response, listener) {
  if (response.body instanceof UpstreamBody) response.body.onClose(listener);
  else listener();
}

// apps/proxy/src/filters/app-call.ts
function createAppCall(app) {
  if (!app) return () => Promise.resolve(proxyError("no-local-app", "this proxy was started without --app-port"));
  const timeouts = { headersTimeoutMs: void 0, bodyTimeoutMs: void 0 };
  return (req) => {
    req.upstream = app.key;
    return sendToEndpoint(app, req, req.headers, req.cancellation, timeouts);
  };
}

// apps/proxy/src/filters/authorization.ts
function sourcePredicate(from, namespace) {
  if (from.includes("*")) return () => true;
  const names = new Set(from.map((f) => f.includes(".") ? f : `${f}.${namespace}`));
  return (req) => names.has(req.source);
}
function rulePredicate(rule, namespace) {
  const source = sourcePredicate(rule.from, namespace);
  const paths = (rule.paths ?? []).map((path4) => compileMatch({ path: path4 }));
  const methods = rule.methods ? new Set(rule.methods) : void 0;
  return (req) => source(req) && (paths.length === 0 || paths.some((p) => p(req))) && (methods === void 0 || methods.has(req.method));
}
function createAuthorization(policies, namespace) {
  if (policies.length === 0) return null;
  const anyRule = (p) => {
    const rules = p.rules.map((r) => rulePredicate(r, namespace));
    return { id: p.id, test: (req) => rules.some((r) => r(req)) };
  };
  const denies = policies.filter((p) => p.action === "Deny").map(anyRule);
  const allows = policies.filter((p) => p.action === "Allow").map(anyRule);
  return (next) => (req) => {
    const denied = denies.find((d) => d.test(req));
    if (denied) return Promise.resolve(proxyError("denied", `${req.source} may not call ${req.method} ${req.path} (${denied.id})`));
    if (allows.length > 0 && !allows.some((a) => a.test(req))) {
      return Promise.resolve(proxyError("denied", `no policy allows ${req.source} to call ${req.method} ${req.path}`));
    }
    return next(req);
  };
}

// apps/proxy/src/cache/store.ts
var MAX_VARIANTS = 8;
function headerText(v) {
  return Array.isArray(v) ? v.join(", ") : v;
}
var CacheStore = class {
  constructor(limits) {
    this.limits = limits;
  }
  limits;
  entries = /* @__PURE__ */ new Map();
  count = 0;
  bytes = 0;
  /** A fresh entry for `key` whose Vary values match the request's headers. */
  get(key, requestHeaders, now) {
    const variants = this.entries.get(key);
    if (!variants) return void 0;
    for (const entry of variants) {
      if (entry.expiresAt <= now) continue;
      if (entry.vary.every(([name, value]) => headerText(requestHeaders[name]) === value)) {
        this.entries.delete(key);
        this.entries.set(key, variants);
        return entry;
      }
    }
    return void 0;
  }
  put(key, entry, now) {
    if (entry.body.length > this.limits.maxEntryBytes || entry.body.length > this.limits.maxTotalBytes) return;
    const old = this.entries.get(key) ?? [];
    const kept = old.filter((e) => {
      const replace = e.expiresAt <= now || e.vary.every(([name, value]) => entry.vary.some(([n, v]) => n === name && v === value));
      if (replace) this.forget(e);
      return !replace;
    });
    if (kept.length >= MAX_VARIANTS) {
      const dropped = kept.shift();
      if (dropped) this.forget(dropped);
    }
    kept.push(entry);
    this.count++;
    this.bytes += entry.body.length;
    this.entries.delete(key);
    this.entries.set(key, kept);
    this.evict(key);
  }
  /** Request header values an entry must be matched by, for the response's Vary names. */
  static varyValues(names, requestHeaders) {
    return names.map((n) => [n, headerText(requestHeaders[n])]);
  }
  get size() {
    return { entries: this.count, bytes: this.bytes };
  }
  forget(entry) {
    this.count--;
    this.bytes -= entry.body.length;
  }
  evict(keep) {
    for (const [key, variants] of this.entries) {
      if (this.count <= this.limits.maxEntries && this.bytes <= this.limits.maxTotalBytes) return;
      if (key === keep) continue;
      for (const e of variants) this.forget(e);
      this.entries.delete(key);
    }
  }
};

// apps/proxy/src/cache/rules.ts
var CACHEABLE_STATUS = /* @__PURE__ */ new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
function cacheControl(value) {
  const out = /* @__PURE__ */ new Map();
  if (value === void 0) return out;
  for (const part of (Array.isArray(value) ? value.join(",") : value).split(",")) {
    const eq = part.indexOf("=");
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    out.set(name, eq === -1 ? true : part.slice(eq + 1).trim().replace(/^"|"$/g, ""));
  }
  return out;
}
function seconds(d, name) {
  const v = d.get(name);
  if (typeof v !== "string" || !/^\d+$/.test(v)) return void 0;
  return Number(v);
}
function requestPolicy(method, headers) {
  if (method !== "GET" && method !== "HEAD") return { lookup: false, store: false };
  const cc = cacheControl(headers["cache-control"]);
  if (cc.has("no-store")) return { lookup: false, store: false };
  const noCache = cc.has("no-cache") || seconds(cc, "max-age") === 0 || cc.size === 0 && headers.pragma === "no-cache";
  return { lookup: !noCache, store: method === "GET" };
}
function freshnessMs(status, headers, requestHasAuthorization, defaultTtlMs) {
  if (!CACHEABLE_STATUS.has(status)) return void 0;
  if (headers["set-cookie"] !== void 0 || headers.vary === "*") return void 0;
  const cc = cacheControl(headers["cache-control"]);
  if (cc.has("no-store") || cc.has("private") || cc.has("no-cache")) return void 0;
  const sMaxAge = seconds(cc, "s-maxage");
  if (requestHasAuthorization && sMaxAge === void 0 && !cc.has("public")) return void 0;
  const age = Number(headers.age ?? 0) * 1e3 || 0;
  const explicit = sMaxAge ?? seconds(cc, "max-age");
  if (explicit !== void 0) return explicit * 1e3 - age;
  const expires = typeof headers.expires === "string" ? Date.parse(headers.expires) : NaN;
  if (!Number.isNaN(expires)) {
    const date = typeof headers.date === "string" ? Date.parse(headers.date) : NaN;
    return expires - (Number.isNaN(date) ? Date.now() : date) - age;
  }
  return defaultTtlMs;
}
function varyNames(headers) {
  const vary = headers.vary;
  if (vary === void 0) return [];
  return (Array.isArray(vary) ? vary.join(",") : vary).split(",").map((v) => v.trim().toLowerCase()).filter(Boolean);
}

// apps/proxy/src/filters/cache.ts
function copyBody(limit, onComplete) {
  let chunks = [];
  let size = 0;
  return {
    data(chunk) {
      if (size > limit) return;
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks = [];
    },
    end(complete) {
      if (complete && size <= limit) onComplete(Buffer.concat(chunks, size));
      chunks = [];
    }
  };
}
function hit(store, key, method, headers, now) {
  const entry = store.get(key, headers, now);
  if (!entry) return void 0;
  const out = { ...entry.headers, age: String(Math.floor((now - entry.storedAt) / 1e3)), "x-cache": "HIT" };
  return { status: entry.status, headers: out, body: method === "HEAD" ? null : entry.body };
}
function createCache(policy, store) {
  if (!policy || !store) return null;
  return (next) => async (req) => {
    const rules = requestPolicy(req.method, req.headers);
    if (!rules.lookup && !rules.store) return next(req);
    const key = req.url;
    if (rules.lookup) {
      const cached = hit(store, key, req.method, req.headers, Date.now());
      if (cached) {
        req.cache = "HIT";
        return cached;
      }
    }
    req.cache = "MISS";
    const response = await next(req);
    if (response.reason !== void 0) return response;
    response.headers["x-cache"] = "MISS";
    const ttl = rules.store ? freshnessMs(response.status, response.headers, req.headers.authorization !== void 0, policy.defaultTtlMs) : void 0;
    const declared = Number(response.headers["content-length"] ?? 0);
    const body = response.body;
    if (ttl === void 0 || ttl <= 0 || declared > policy.maxEntryBytes || !(body instanceof UpstreamBody)) return response;
    const storedAt = Date.now();
    const vary = CacheStore.varyValues(varyNames(response.headers), req.headers);
    const status = response.status;
    const headers = { ...response.headers };
    delete headers["x-cache"];
    body.setTap(
      copyBody(policy.maxEntryBytes, (bytes) => {
        headers["content-length"] = String(bytes.length);
        store.put(key, { status, headers, body: bytes, storedAt, expiresAt: storedAt + ttl, vary }, Date.now());
      })
    );
    return response;
  };
}
var CacheRegistry = class {
  stores = /* @__PURE__ */ new Map();
  seen = /* @__PURE__ */ new Set();
  begin() {
    this.seen = /* @__PURE__ */ new Set();
  }
  get(route, policy) {
    if (!policy) return void 0;
    this.seen.add(route);
    let store = this.stores.get(route);
    if (store) store.limits = policy;
    else this.stores.set(route, store = new CacheStore(policy));
    return store;
  }
  end() {
    for (const route of this.stores.keys()) if (!this.seen.has(route)) this.stores.delete(route);
  }
};

// apps/proxy/src/filters/circuit-breaker.ts
function createCircuitBreaker(limits, service) {
  if (!limits) return null;
  const { maxRequests, maxConnections, maxPendingRequests } = limits;
  if (maxRequests === void 0 && maxConnections === void 0) return null;
  const requestLimit = maxRequests ?? Infinity;
  const queueLimit = maxConnections === void 0 ? Infinity : maxConnections + (maxPendingRequests ?? Infinity);
  return (next) => async (req) => {
    const active = service.active;
    if (active >= requestLimit || active >= queueLimit) {
      service.circuitOpen = true;
      const which = active >= requestLimit ? `maxRequests ${maxRequests}` : `maxConnections ${maxConnections} + maxPendingRequests ${maxPendingRequests}`;
      return proxyError("circuit-open", `${active} requests in flight to ${service.key} (${which})`);
    }
    service.circuitOpen = false;
    service.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      service.active--;
    };
    try {
      const response = await next(req);
      onResponseEnd(response, release);
      return response;
    } catch (err) {
      release();
      throw err;
    }
  };
}

// apps/proxy/src/filters/endpoint-call.ts
import { performance as performance2 } from "node:perf_hooks";

// apps/proxy/src/http/trace-context.ts
import { randomFillSync } from "node:crypto";
var POOL_SIZE = 8192;
var pool = Buffer.alloc(POOL_SIZE);
var poolOffset = POOL_SIZE;
function randomHex(bytes) {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}
var newTraceId = () => randomHex(16);
var newSpanId = () => randomHex(8);
var TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
var ZERO_TRACE = "00000000000000000000000000000000";
var ZERO_SPAN = "0000000000000000";
var HEX = /^[0-9a-f]+$/;
function first(v) {
  return Array.isArray(v) ? v[0] : v;
}
function readTraceContext(headers) {
  const tp = first(headers.traceparent);
  if (tp !== void 0) {
    const m = TRACEPARENT.exec(tp.trim().toLowerCase());
    if (m && m[1] !== "ff" && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN) {
      return { traceId: m[2] ?? "", parentSpanId: m[3] ?? "", sampled: (parseInt(m[4] ?? "0", 16) & 1) === 1 };
    }
  }
  const b3 = first(headers.b3);
  if (b3 !== void 0) {
    const [traceId, spanId, flag] = b3.trim().toLowerCase().split("-");
    const parsed = fromB3(traceId, spanId, flag);
    if (parsed) return parsed;
  }
  const b3Trace = first(headers["x-b3-traceid"]);
  if (b3Trace !== void 0) {
    const flag = first(headers["x-b3-flags"]) === "1" ? "d" : first(headers["x-b3-sampled"]);
    return fromB3(b3Trace.trim().toLowerCase(), first(headers["x-b3-spanid"])?.trim().toLowerCase(), flag);
  }
  return void 0;
}
function fromB3(traceId, spanId, flag) {
  if (!traceId || !spanId || !HEX.test(traceId) || !HEX.test(spanId)) return void 0;
  if (traceId.length !== 16 && traceId.length !== 32 || spanId.length !== 16) return void 0;
  const sampled = flag === void 0 ? void 0 : flag === "1" || flag === "d" || flag === "true";
  return { traceId: traceId.padStart(32, "0"), parentSpanId: spanId, sampled };
}
function formatTraceparent(traceId, spanId, sampled) {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}
function sampleTrace(traceId, ratio) {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return parseInt(traceId.slice(24), 16) / 4294967296 < ratio;
}

// apps/proxy/src/filters/endpoint-call.ts
function createEndpointCall({ service, all, balancer, tracer }) {
  return async (req) => {
    const targets = req.targets ?? all;
    const startedAt = performance2.now();
    const endpoint = balancer(targets, req, startedAt);
    if (!endpoint) {
      const what = req.subset ? `subset ${req.subset} of ${service.key}` : service.key;
      const why = targets.all.length === 0 ? "has no endpoints" : "has every endpoint ejected";
      return proxyError("no-healthy-endpoint", `${what} ${why}`);
    }
    const trace = req.trace;
    const spanId = newSpanId();
    if (trace) req.headers.traceparent = formatTraceparent(trace.traceId, spanId, trace.sampled);
    endpoint.active++;
    const response = await sendToEndpoint(endpoint, req, req.headers, req.cancellation, {
      headersTimeoutMs: req.tryTimeoutMs,
      bodyTimeoutMs: req.idleTimeoutMs
    });
    const now = performance2.now();
    onResponseEnd(response, () => endpoint.active--);
    if (!req.cancellation.cancelled && service.report(endpoint, response.status, response.failure, now - startedAt, now)) req.ejections++;
    req.version = endpoint.version;
    req.upstream = endpoint.key;
    tracer.clientSpan(req, spanId, startedAt, now - startedAt, response.status, endpoint.key, response.failure !== void 0);
    return response;
  };
}

// apps/proxy/src/filters/fault.ts
function createFault(fault) {
  if (!fault || !fault.delay?.percentage && !fault.abort?.percentage) return null;
  const delay = fault.delay;
  const abort = fault.abort;
  return (next) => async (req) => {
    if (delay && Math.random() * 100 < delay.percentage) {
      await sleep(delay.ms, req.cancellation);
    }
    if (abort && Math.random() * 100 < abort.percentage) {
      return proxyError("fault-injected", `abort ${abort.status} injected by fault policy`, { status: abort.status });
    }
    return next(req);
  };
}

// apps/proxy/src/http/body.ts
var MAX_REPLAYABLE_BODY_BYTES = 64 * 1024;
function hasBody(headers) {
  const length = headers["content-length"];
  return headers["transfer-encoding"] !== void 0 || length !== void 0 && length !== "0";
}
async function makeReplayable(req) {
  const body = req.body;
  if (body === null || Buffer.isBuffer(body)) return true;
  const { "content-length": declared, "transfer-encoding": chunked } = req.incoming.headers;
  if (declared === void 0 || chunked !== void 0) return false;
  const length = Number(declared);
  if (!Number.isFinite(length) || length > MAX_REPLAYABLE_BODY_BYTES) return false;
  const chunks = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > MAX_REPLAYABLE_BODY_BYTES) throw new Error("request body larger than declared");
    chunks.push(chunk);
  }
  req.body = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, total);
  return true;
}

// apps/proxy/src/filters/mirror.ts
var MAX_MIRRORS_IN_FLIGHT = 64;
var MIRROR_TIMEOUT_MS = 5e3;
var inFlight = 0;
function sendCopy(req, targets, balancer) {
  const endpoint = balancer(targets, req, performance.now());
  if (!endpoint) return;
  inFlight++;
  const headers = { ...req.headers, "x-trellis-mirror": "1" };
  const cancellation = new Cancellation();
  const timer = setTimeout(() => cancellation.cancel(), MIRROR_TIMEOUT_MS);
  void sendToEndpoint(endpoint, req, headers, cancellation, { headersTimeoutMs: MIRROR_TIMEOUT_MS, bodyTimeoutMs: MIRROR_TIMEOUT_MS }).then((response) => {
    onResponseEnd(response, () => {
      clearTimeout(timer);
      inFlight--;
    });
    discardBody(response);
  });
}
function createMirror(mirror, targets, balancer) {
  if (!mirror || mirror.percentage <= 0) return null;
  return (next) => async (req) => {
    if (inFlight < MAX_MIRRORS_IN_FLIGHT && Math.random() * 100 < mirror.percentage && targets.all.length > 0) {
      let replayable = false;
      try {
        replayable = await makeReplayable(req);
      } catch {
      }
      if (replayable) sendCopy(req, targets, balancer);
    }
    return next(req);
  };
}

// apps/proxy/src/filters/rate-limit.ts
function keyFor(policy) {
  switch (policy.key.type) {
    case "None":
      return () => "";
    case "SourceService":
      return (req) => req.source;
    case "Header": {
      const name = policy.key.header.toLowerCase();
      return (req) => req.header(name) ?? "";
    }
  }
}
function limitHeaders(policy, result) {
  const resetSeconds = Math.max(1, Math.ceil(result.retryAfterMs / 1e3));
  return {
    "retry-after": String(resetSeconds),
    "ratelimit-limit": String(policy.requestsPerSecond),
    "ratelimit-remaining": String(result.remaining),
    "ratelimit-reset": String(resetSeconds),
    "ratelimit-policy": `${policy.requestsPerSecond};w=1;burst=${policy.burst}`
  };
}
function createRateLimit(policy, limiters, redisUrl) {
  if (!policy) return null;
  const keyOf = keyFor(policy);
  const limiter = limiters.get(policy, redisUrl);
  const refuse = (req, result) => {
    req.rateLimited = true;
    return proxyError("rate-limited", `${policy.requestsPerSecond} requests per second (${policy.id})`, { headers: limitHeaders(policy, result) });
  };
  if (limiter.kind === "local") {
    const local = limiter.limiter;
    return (next) => (req) => {
      const result = local.take(keyOf(req), performance.now());
      return result.allowed ? next(req) : Promise.resolve(refuse(req, result));
    };
  }
  const global = limiter.limiter;
  return (next) => async (req) => {
    const result = await global.take(keyOf(req));
    if (result === void 0) {
      if (policy.failureMode === "Open") return next(req);
      return proxyError("rate-limiter-unavailable", `Redis did not answer for ${policy.id}; failureMode is Closed`);
    }
    return result.allowed ? next(req) : refuse(req, result);
  };
}

// apps/proxy/src/filters/request-context.ts
import { randomUUID } from "node:crypto";
var SOURCE_HEADER = "x-trellis-source";
var SOURCE_SHAPE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function setTrace(req, sampling, inbound) {
  const incoming = readTraceContext(req.headers);
  const traceId = incoming?.traceId ?? newTraceId();
  const sampled = incoming?.sampled ?? sampleTrace(traceId, sampling);
  const spanId = newSpanId();
  req.trace = { traceId, parentSpanId: incoming?.parentSpanId, spanId, sampled };
  req.headers.traceparent = formatTraceparent(traceId, inbound ? spanId : incoming?.parentSpanId ?? spanId, sampled);
}
function createRequestContext(config) {
  const inbound = config.side === "inbound";
  return (next) => (req) => {
    const headers = req.headers;
    if (inbound) {
      const claimed = req.header(SOURCE_HEADER);
      if (claimed !== void 0 && SOURCE_SHAPE.test(claimed)) req.source = claimed;
      else if (claimed !== void 0) delete headers[SOURCE_HEADER];
      req.destination = config.self;
    } else {
      req.source = config.self;
      headers[SOURCE_HEADER] = config.self;
    }
    if (headers["x-request-id"] === void 0) headers["x-request-id"] = randomUUID();
    setTrace(req, config.sampling, inbound);
    addForwardedHeaders(headers, req.incoming.socket.remoteAddress);
    return next(req);
  };
}

// apps/proxy/src/upstream/retry-budget.ts
var WINDOW_MS = 1e3;
var RetryBudget = class {
  constructor(ratio, minPerSecond) {
    this.ratio = ratio;
    this.minPerSecond = minPerSecond;
  }
  ratio;
  minPerSecond;
  windowStart = 0;
  requests = 0;
  retries = 0;
  previousRequests = 0;
  previousRetries = 0;
  /** Counts one original request (not a retry). */
  onRequest(now) {
    this.roll(now);
    this.requests++;
  }
  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(now) {
    this.roll(now);
    const overlap = 1 - (now - this.windowStart) / WINDOW_MS;
    const requests = this.requests + this.previousRequests * overlap;
    const retries = this.retries + this.previousRetries * overlap;
    if (retries >= this.ratio * requests + this.minPerSecond) return false;
    this.retries++;
    return true;
  }
  roll(now) {
    const elapsed = now - this.windowStart;
    if (elapsed < WINDOW_MS) return;
    const adjacent = elapsed < 2 * WINDOW_MS;
    this.previousRequests = adjacent ? this.requests : 0;
    this.previousRetries = adjacent ? this.retries : 0;
    this.requests = 0;
    this.retries = 0;
    this.windowStart = now - elapsed % WINDOW_MS;
  }
};

// apps/proxy/src/filters/retry.ts
var MAX_RETRY_AFTER_MS = 1e4;
var IDEMPOTENT = /* @__PURE__ */ new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
function retryAfterMs(value, now = Date.now()) {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === void 0) return void 0;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1e3;
  const at = Date.parse(text);
  return Number.isNaN(at) ? void 0 : Math.max(0, at - now);
}
function retryDelay(policy, on, req, response, retry) {
  const { status, failure } = response;
  if (response.reason !== void 0 && failure === void 0) return -1;
  const backoff = Math.random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (retry - 1));
  if (status === 429) {
    if (!on.has("retriable-429")) return -1;
    const wait = retryAfterMs(response.headers["retry-after"]);
    if (wait === void 0) return backoff;
    return wait > MAX_RETRY_AFTER_MS ? -1 : wait;
  }
  if (failure === "reset" && !IDEMPOTENT.has(req.method)) return -1;
  if (failure === "connect-failure" && on.has("connect-failure")) return backoff;
  if (failure === "reset" && on.has("reset")) return backoff;
  if (on.has("5xx") && status >= 500) return backoff;
  if (on.has("gateway-error") && (status === 502 || status === 503 || status === 504)) return backoff;
  return -1;
}
function createRetry(policy) {
  if (!policy || policy.attempts <= 1) return null;
  const on = new Set(policy.retryOn);
  const budget = new RetryBudget(policy.budgetRatio, policy.budgetMinPerSecond);
  return (next) => async (req) => {
    budget.onRequest(performance.now());
    if (policy.perTryTimeoutMs !== void 0) req.tryTimeoutMs = policy.perTryTimeoutMs;
    let replayable;
    try {
      replayable = await makeReplayable(req);
    } catch (err) {
      return proxyError("bad-request", `request body could not be read: ${err.message}`);
    }
    if (!replayable) return next(req);
    const cancellation = req.cancellation;
    for (let attempt = 1; ; attempt++) {
      const response = await next(req);
      if (attempt >= policy.attempts || cancellation.cancelled) return response;
      const delay = retryDelay(policy, on, req, response, attempt);
      if (delay < 0 || !budget.tryRetry(performance.now())) return response;
      discardBody(response);
      req.retries++;
      if (delay > 0 && !await sleep(delay, cancellation)) return response;
    }
  };
}

// apps/proxy/src/filters/router.ts
function dispatch(routes, req, where) {
  for (const route of routes) {
    if (route.matches(req)) {
      req.route = route.name;
      return route.handle(req);
    }
  }
  return Promise.resolve(proxyError("no-route", `no route of ${where} matches ${req.method} ${req.path}`));
}
function createInboundRouter(routes, self) {
  return (req) => dispatch(routes, req, self);
}
function hostName(host) {
  if (host === void 0) return "";
  const colon = host.lastIndexOf(":");
  const name = colon !== -1 && !host.endsWith("]") ? host.slice(0, colon) : host;
  return name.toLowerCase();
}
function createOutboundRouter(byHost) {
  return (req) => {
    const host = hostName(req.header("host"));
    const service = byHost.get(host);
    if (!service) {
      req.destination = "unknown";
      return Promise.resolve(proxyError("unknown-service", `no service named "${host}" in this proxy's configuration (Host header)`));
    }
    req.destination = service.key;
    return dispatch(service.routes, req, service.key);
  };
}

// apps/proxy/src/filters/split.ts
function createSplit(split, backends) {
  if (!split || backends.length === 0) return null;
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return null;
  const bounds = [];
  let cumulative = 0;
  for (const b of backends) bounds.push(cumulative += b.weight);
  return (next) => (req) => {
    const r = Math.random() * total;
    let i = 0;
    while (i < bounds.length - 1 && r >= (bounds[i] ?? total)) i++;
    const backend = backends[i];
    if (backend) {
      req.subset = backend.name;
      req.targets = backend.targets;
    }
    return next(req);
  };
}

// apps/proxy/src/filters/timeout.ts
function createTimeout(timeout) {
  if (!timeout) return null;
  const { requestMs, idleMs } = timeout;
  return (next) => (req) => {
    if (idleMs !== void 0) req.idleTimeoutMs = idleMs;
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        req.cancellation.cancel("timeout");
        resolve(proxyError("timeout", `no response within ${requestMs} ms`));
      }, requestMs);
      next(req).then(
        (response) => {
          if (settled) return discardBody(response);
          settled = true;
          clearTimeout(timer);
          resolve(response);
        },
        (err) => {
          clearTimeout(timer);
          if (!settled) reject(err);
        }
      );
    });
  };
}

// apps/proxy/src/http/types.ts
var ProxyRequest = class {
  constructor(incoming, method, url, headers, body, startedAt) {
    this.incoming = incoming;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.body = body;
    this.startedAt = startedAt;
  }
  incoming;
  method;
  url;
  /** Headers to forward: a copy of the client's, hop-by-hop ones already removed. Filters may edit it. */
  headers;
  /** The request body: the client's stream, a buffered copy (retries, mirroring), or none. */
  body;
  /** "name.namespace" of the calling service, or "external" for callers outside the mesh. */
  source = "external";
  /** Service the request is for ("name.namespace"); set by the outbound router or from the workload. */
  destination = "";
  route = "unmatched";
  /** The version label of the endpoint that answered (outbound), for per-version telemetry. */
  version = void 0;
  /** Address and port of the endpoint that answered. */
  upstream = void 0;
  retries = 0;
  rateLimited = false;
  cache = void 0;
  ejections = 0;
  trace = void 0;
  /** The split backend chosen for this request (its name), when a TrafficSplit applies. */
  subset = void 0;
  /** Endpoints the split filter narrowed the request to (undefined: all of the service's endpoints). */
  targets = void 0;
  /** Per-try timeout the retry filter sets for each attempt. */
  tryTimeoutMs = void 0;
  /** Longest silence allowed inside the upstream response body (TimeoutPolicy idle). */
  idleTimeoutMs = void 0;
  /** Fires when the client goes away before its response is complete, or when the request times out. */
  cancellation = new Cancellation();
  /** performance.now() at arrival. */
  startedAt;
  pathCache = void 0;
  /** The path without its query string. */
  get path() {
    if (this.pathCache === void 0) {
      const q = this.url.indexOf("?");
      this.pathCache = q === -1 ? this.url : this.url.slice(0, q);
    }
    return this.pathCache;
  }
  header(name) {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }
};
function compose(middlewares, terminal) {
  let handler = terminal;
  for (let i = middlewares.length - 1; i >= 0; i--) {
    const m = middlewares[i];
    if (m) handler = m(handler);
  }
  return handler;
}

// apps/proxy/src/chain.ts
function buildInboundUpgradeCheck(snapshot, deps) {
  return compose(
    [
      createRequestContext({ side: "inbound", self: deps.self, sampling: snapshot.tracing.sampling }),
      createAuthorization(snapshot.inbound.authorization, deps.namespace)
    ],
    (req) => {
      if (!deps.app) return Promise.resolve(proxyError("no-local-app", "this proxy was started without --app-port"));
      req.upstream = deps.app.key;
      return Promise.resolve(UPGRADE_ALLOWED);
    }
  );
}
function buildInboundChain(snapshot, deps) {
  const appCall = createAppCall(deps.app);
  const routes = snapshot.inbound.routes.map((route) => ({
    name: route.name,
    matches: compileMatch(route.match),
    handle: compose(
      [
        createAuthorization(snapshot.inbound.authorization, deps.namespace),
        createRateLimit(route.policies.rateLimit, deps.limiters, snapshot.mesh.redisUrl),
        createCache(route.policies.cache, deps.caches.get(route.name, route.policies.cache))
      ],
      appCall
    )
  }));
  return compose(
    [createRequestContext({ side: "inbound", self: deps.self, sampling: snapshot.tracing.sampling })],
    createInboundRouter(routes, deps.self)
  );
}
var UPGRADE_ALLOWED = { status: 101, headers: {}, body: null };
function outboundRoutes(service, upstream, deps, all, balancer) {
  const endpointCall = createEndpointCall({ service: upstream, all, balancer, tracer: deps.tracer });
  return service.routes.map((route) => {
    const p = route.policies;
    const backends = (p.split?.backends ?? []).map((b) => ({
      name: b.name,
      weight: b.weight,
      targets: EndpointSet.select(upstream.list, b.selector, deps.zone)
    }));
    const mirrorTargets = p.mirror ? EndpointSet.select(upstream.list, p.mirror.selector, deps.zone) : all;
    return {
      name: route.name,
      matches: compileMatch(route.match),
      handle: compose(
        [
          createFault(p.fault),
          createTimeout(p.timeout),
          createMirror(p.mirror, mirrorTargets, balancer),
          createSplit(p.split, backends),
          createRetry(p.retry),
          createCircuitBreaker(service.circuitBreaker, upstream)
        ],
        endpointCall
      )
    };
  });
}
function buildOutboundChain(snapshot, deps) {
  const upstreams = deps.upstreams.sync(snapshot.outbound.services);
  const byHost = /* @__PURE__ */ new Map();
  const pickers = /* @__PURE__ */ new Map();
  for (const service of snapshot.outbound.services) {
    const key = `${service.name}.${service.namespace}`;
    const upstream = upstreams.get(key);
    if (!upstream) continue;
    const all = new EndpointSet(upstream.list, deps.zone);
    const balancer = createBalancer(service.loadBalancer);
    const entry = { key, routes: outboundRoutes(service, upstream, deps, all, balancer) };
    const pick = (req) => balancer(all, req, performance3.now());
    for (const host of service.hostnames) {
      byHost.set(host.toLowerCase(), entry);
      pickers.set(host.toLowerCase(), pick);
    }
  }
  const context = createRequestContext({ side: "outbound", self: deps.self, sampling: snapshot.tracing.sampling });
  const handle = compose([context], createOutboundRouter(byHost));
  const upgrade = compose([context], (req) => {
    const host = hostName(req.header("host"));
    const pick = pickers.get(host);
    if (!pick) return Promise.resolve(proxyError("unknown-service", `no service named "${host}" in this proxy's configuration (Host header)`));
    const endpoint = pick(req);
    if (!endpoint) return Promise.resolve(proxyError("no-healthy-endpoint", `${byHost.get(host)?.key ?? host} has no available endpoint`));
    req.destination = byHost.get(host)?.key ?? host;
    req.upstream = endpoint.key;
    return Promise.resolve(UPGRADE_ALLOWED);
  });
  return { handle, upgrade };
}

// apps/proxy/src/config/validate.ts
function validateSnapshot(snapshot, self) {
  const problems = [];
  if (snapshot.service.name !== self.name || snapshot.service.namespace !== self.namespace) {
    problems.push(`snapshot is for ${snapshot.service.name}.${snapshot.service.namespace}, this proxy serves ${self.name}.${self.namespace}`);
  }
  const hosts = /* @__PURE__ */ new Map();
  for (const s of snapshot.outbound.services) {
    const key = `${s.name}.${s.namespace}`;
    for (const host of s.hostnames) {
      const other = hosts.get(host.toLowerCase());
      if (other && other !== key) problems.push(`hostname "${host}" names both ${other} and ${key}`);
      hosts.set(host.toLowerCase(), key);
    }
  }
  const matches = [...snapshot.inbound.routes, ...snapshot.outbound.services.flatMap((s) => s.routes)];
  for (const route of matches) {
    try {
      compileMatch(route.match);
    } catch (err) {
      problems.push(`route ${route.name}: ${err.message}`);
    }
  }
  for (const route of snapshot.inbound.routes) {
    const limit = route.policies.rateLimit;
    if (limit?.mode !== "Global") continue;
    if (!snapshot.mesh.redisUrl) problems.push(`route ${route.name}: rate limit ${limit.id} is Global but mesh.redisUrl is not set`);
    else if (!/^rediss?:\/\/[^\s]+$/.test(snapshot.mesh.redisUrl)) problems.push(`mesh.redisUrl "${snapshot.mesh.redisUrl}" is not a redis:// URL`);
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
}

// apps/proxy/src/config/compile.ts
function compileSnapshot(snapshot, deps, self, source) {
  validateSnapshot(snapshot, self);
  deps.limiters.begin();
  deps.caches.begin();
  const inbound = buildInboundChain(snapshot, deps);
  const inboundUpgrade = buildInboundUpgradeCheck(snapshot, deps);
  const { handle: outbound, upgrade: outboundUpgrade } = buildOutboundChain(snapshot, deps);
  deps.limiters.end();
  deps.caches.end();
  return { snapshot, inbound, outbound, inboundUpgrade, outboundUpgrade, appliedAt: (/* @__PURE__ */ new Date()).toISOString(), source };
}

// apps/proxy/src/config/config-file.ts
import { readFile as readFile2 } from "node:fs/promises";
async function readConfigFile(file) {
  let text;
  try {
    text = await readFile2(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read config file ${file}: ${err.message}`);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${file} is not JSON: ${err.message}`);
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) throw new Error(`config file ${file} is not a valid snapshot: ${describeErrors(formatIssues(parsed.error.issues))}`);
  return parsed.data;
}

// apps/proxy/src/http/listener.ts
import http2 from "node:http";
import { performance as performance4 } from "node:perf_hooks";
var Listener = class {
  constructor(options) {
    this.options = options;
    const { limits } = options;
    this.server = http2.createServer({
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      // Node checks the headers deadline on this interval (30 s by default, far too coarse for it).
      connectionsCheckingInterval: Math.max(100, Math.min(1e3, limits.headersTimeoutMs / 2)),
      keepAliveTimeout: 5e3,
      noDelay: true
    });
    this.server.timeout = limits.idleTimeoutMs;
    this.server.on("request", (incoming, res) => this.onRequest(incoming, res));
    this.server.on("clientError", (err, socket) => this.onClientError(err, socket));
    if (options.onUpgrade) this.server.on("upgrade", options.onUpgrade);
  }
  options;
  server;
  inFlight = 0;
  draining = false;
  idleWaiters = [];
  async listen() {
    await new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return this.server.address().port;
  }
  /** Stops accepting, lets in-flight requests finish until `deadline` (performance.now() ms), then closes. */
  async drain(deadline) {
    this.draining = true;
    this.server.close();
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - performance4.now()));
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.server.closeAllConnections();
  }
  onRequest(incoming, res) {
    const startedAt = performance4.now();
    const headers = withoutHopByHop(incoming.headers, true);
    const body = hasBody(incoming.headers) ? incoming : null;
    const req = new ProxyRequest(incoming, incoming.method ?? "GET", incoming.url ?? "/", headers, body, startedAt);
    this.inFlight++;
    let status = 0;
    res.once("close", () => {
      const completed = res.writableFinished;
      if (!completed) req.cancellation.cancel();
      this.options.onDone(req, status || (completed ? res.statusCode : 499), performance4.now() - startedAt, completed);
      if (--this.inFlight === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    this.options.handle(req).then(
      (response) => {
        status = response.status;
        this.send(res, response);
      },
      (err) => {
        this.options.log(`${this.options.name}: ${req.method} ${req.url} failed inside the proxy: ${err.stack ?? err.message}`);
        const response = proxyError("internal-error", err.message);
        status = response.status;
        this.send(res, response);
      }
    );
  }
  send(res, response) {
    const body = response.body;
    if (res.destroyed) {
      if (body instanceof UpstreamBody) body.abort();
      return;
    }
    if (this.draining) response.headers.connection = "close";
    try {
      res.writeHead(response.status, response.headers);
    } catch (err) {
      if (body instanceof UpstreamBody) body.abort();
      const fallback = proxyError("upstream-protocol-error", err.message);
      res.writeHead(fallback.status, fallback.headers);
      res.end(fallback.body);
      return;
    }
    if (body instanceof UpstreamBody) body.pipeTo(res);
    else res.end(body);
  }
  onClientError(err, socket) {
    const pending = socket._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const reason = err.code === "HPE_HEADER_OVERFLOW" ? "headers-too-large" : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "request-timeout" : "bad-request";
    const { status, message } = REASONS[reason];
    const body = `${message}: ${err.code ?? err.message}
`;
    socket.end(
      `HTTP/1.1 ${status} ${http2.STATUS_CODES[status]}\r
connection: close\r
content-type: text/plain; charset=utf-8\r
content-length: ${Buffer.byteLength(body)}\r
x-trellis-reason: ${reason}\r
\r
${body}`
    );
    setTimeout(() => socket.destroy(), 1e3).unref();
  }
};

// apps/proxy/src/options.ts
var PROXY_VERSION = "0.1.0";
var DEFAULT_LIMITS = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 1e4,
  idleTimeoutMs: 6e4
};
var DEFAULT_DRAIN_TIMEOUT_MS = 1e4;

// apps/proxy/src/ratelimit/token-bucket.ts
var MAX_KEYS = 1e4;
var LocalRateLimiter = class {
  constructor(rate, burst) {
    this.rate = rate;
    this.burst = burst;
  }
  rate;
  burst;
  buckets = /* @__PURE__ */ new Map();
  take(key, now) {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_KEYS) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    }
    const tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.rate / 1e3);
    bucket.at = now;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return { allowed: true, remaining: Math.floor(tokens - 1), retryAfterMs: 0 };
    }
    bucket.tokens = tokens;
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - tokens) * 1e3 / this.rate) };
  }
};

// apps/proxy/src/ratelimit/registry.ts
var LimiterRegistry = class {
  limiters = /* @__PURE__ */ new Map();
  seen = /* @__PURE__ */ new Set();
  /** Starts a snapshot: limiters not asked for before end() are dropped. */
  begin() {
    this.seen = /* @__PURE__ */ new Set();
  }
  get(policy, redisUrl) {
    const key = `${policy.mode}|${redisUrl ?? ""}|${policy.id}|${policy.key.type}`;
    this.seen.add(key);
    const found = this.limiters.get(key);
    if (found) {
      found.limiter.rate = policy.requestsPerSecond;
      found.limiter.burst = policy.burst;
      return found;
    }
    let limiter;
    if (policy.mode === "Global") {
      if (!redisUrl) throw new Error(`rate limit ${policy.id} is Global but the snapshot names no Redis (mesh.redisUrl)`);
      validateRedisUrl(redisUrl);
      limiter = { kind: "global", limiter: new GlobalRateLimiter(redisUrl, policy.id, policy.requestsPerSecond, policy.burst) };
    } else {
      limiter = { kind: "local", limiter: new LocalRateLimiter(policy.requestsPerSecond, policy.burst) };
    }
    this.limiters.set(key, limiter);
    return limiter;
  }
  end() {
    for (const key of this.limiters.keys()) if (!this.seen.has(key)) this.limiters.delete(key);
  }
};
function validateRedisUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`mesh.redisUrl "${url}" is not a URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new Error(`mesh.redisUrl "${url}" must start with redis:// or rediss://`);
}

// apps/proxy/src/telemetry/reporter.ts
var REPORT_INTERVAL_MS = 1e3;
var MAX_SPANS_PER_MESSAGE = 2e3;
var MAX_BUFFERED_BYTES = 1 << 20;
var TelemetryReporter = class {
  constructor(sink, edges, tracer) {
    this.sink = sink;
    this.edges = edges;
    this.tracer = tracer;
  }
  sink;
  edges;
  tracer;
  timer;
  lastReport = Date.now();
  start() {
    this.timer = setInterval(() => this.report(), REPORT_INTERVAL_MS);
    this.timer.unref();
  }
  stop() {
    clearInterval(this.timer);
  }
  /** Sends what has accumulated, if the stream is up. */
  report() {
    if (this.sink.state !== "connected") return;
    const now = Date.now();
    const deltas = this.edges.takeDeltas();
    if (deltas.length > 0) {
      this.sink.send({ type: "metrics", report: { at: now, intervalMs: Math.max(1, now - this.lastReport), edges: deltas } });
    }
    this.lastReport = now;
    const buffer = this.tracer.buffer;
    if (buffer.length > 0 && this.sink.bufferedAmount < MAX_BUFFERED_BYTES) {
      this.sink.send({ type: "spans", spans: buffer.take(MAX_SPANS_PER_MESSAGE) });
    }
  }
};

// apps/proxy/src/telemetry/spans.ts
import { performance as performance5 } from "node:perf_hooks";
var SLOW_REQUEST_MS = 1e3;
var SPAN_BUFFER_LIMIT = 5e3;
function keepSpan(sampled, error, durationMs) {
  return sampled || error || durationMs > SLOW_REQUEST_MS;
}
function epochMs(monotonicMs) {
  return performance5.timeOrigin + monotonicMs;
}
var SpanBuffer = class {
  ring = new Array(SPAN_BUFFER_LIMIT);
  head = 0;
  size = 0;
  /** Spans dropped because the buffer was full. */
  dropped = 0;
  push(span) {
    const tail = (this.head + this.size) % SPAN_BUFFER_LIMIT;
    this.ring[tail] = span;
    if (this.size < SPAN_BUFFER_LIMIT) this.size++;
    else {
      this.head = (this.head + 1) % SPAN_BUFFER_LIMIT;
      this.dropped++;
    }
  }
  get length() {
    return this.size;
  }
  /** Removes and returns up to `max` spans, oldest first. */
  take(max) {
    const n = Math.min(max, this.size);
    const out = [];
    for (let i = 0; i < n; i++) {
      const span = this.ring[this.head];
      this.ring[this.head] = void 0;
      this.head = (this.head + 1) % SPAN_BUFFER_LIMIT;
      if (span) out.push(span);
    }
    this.size -= n;
    return out;
  }
};

// apps/proxy/src/telemetry/tracer.ts
var Tracer = class {
  constructor(service) {
    this.service = service;
  }
  service;
  buffer = new SpanBuffer();
  /** One server span per request the inbound listener received. */
  serverSpan(req, status, durationMs) {
    const trace = req.trace;
    const error = status >= 500 || status === 0;
    if (!trace || !keepSpan(trace.sampled, error, durationMs)) return;
    const attributes = { route: req.route, "http.method": req.method, "http.path": req.path, source: req.source };
    if (req.rateLimited) attributes.rate_limited = true;
    if (req.cache) attributes.cache = req.cache;
    const span = {
      traceId: trace.traceId,
      spanId: trace.spanId,
      kind: "server",
      service: this.service,
      name: `${req.method} ${req.route}`,
      startMs: epochMs(req.startedAt),
      durationMs,
      status,
      error,
      attributes
    };
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }
  /** One client span per attempt the outbound side sent upstream. */
  clientSpan(req, spanId, startedAt, durationMs, status, endpoint, failed) {
    const trace = req.trace;
    const error = failed || status >= 500;
    if (!trace || !keepSpan(trace.sampled, error, durationMs)) return;
    const span = {
      traceId: trace.traceId,
      spanId,
      kind: "client",
      service: this.service,
      name: `${req.method} ${req.destination} ${req.route}`,
      startMs: epochMs(startedAt),
      durationMs,
      status,
      error,
      attributes: {
        route: req.route,
        destination: req.destination,
        "upstream.endpoint": endpoint,
        "retry.attempt": req.retries,
        "http.method": req.method,
        "http.path": req.path
      }
    };
    if (req.subset) span.attributes.subset = req.subset;
    if (trace.parentSpanId) span.parentSpanId = trace.parentSpanId;
    this.buffer.push(span);
  }
};

// apps/proxy/src/upstream/outlier.ts
var OutlierDetector = class {
  constructor(config) {
    this.config = config;
  }
  config;
  configure(config) {
    this.config = config;
  }
  /**
   * Records one attempt's outcome for `endpoint`; `failed` means a 5xx or no HTTP answer at all.
   * Returns true when this outcome ejected the endpoint.
   */
  record(endpoint, failed, now, all) {
    const config = this.config;
    if (!config) return false;
    if (!failed) {
      endpoint.consecutiveErrors = 0;
      return false;
    }
    if (++endpoint.consecutiveErrors < config.consecutiveErrors || !endpoint.isAvailable(now)) return false;
    if (!this.mayEject(all, now, config.maxEjectionPercent)) return false;
    if (now - endpoint.ejectedUntil > config.maxEjectionMs) endpoint.ejectionCount = 0;
    endpoint.ejectionCount++;
    endpoint.ejectedUntil = now + Math.min(config.baseEjectionMs * endpoint.ejectionCount, Math.max(config.maxEjectionMs, config.baseEjectionMs));
    endpoint.consecutiveErrors = 0;
    return true;
  }
  mayEject(all, now, maxPercent) {
    let ejected = 0;
    for (const e of all) if (!e.isAvailable(now)) ejected++;
    return ejected + 1 <= Math.floor(all.length * maxPercent / 100);
  }
};

// apps/proxy/src/upstream/service.ts
var EWMA_DECAY_MS = 1e4;
var UpstreamService = class {
  constructor(key) {
    this.key = key;
  }
  key;
  endpoints = /* @__PURE__ */ new Map();
  /** The endpoints of the current snapshot, in snapshot order. */
  list = [];
  outlier = new OutlierDetector(void 0);
  /** Requests sent to this service and not finished (circuit breaker limits count these). */
  active = 0;
  /** True while the circuit breaker turns requests away (the trellis_circuit_open gauge). */
  circuitOpen = false;
  limits;
  /** Takes the service's endpoints and limits from a new snapshot; endpoints that left are closed. */
  sync(service) {
    this.limits = service.circuitBreaker;
    this.outlier.configure(service.circuitBreaker?.outlier);
    const perEndpoint = connectionShare(service.circuitBreaker?.maxConnections, service.endpoints.length);
    const next = [];
    const seen = /* @__PURE__ */ new Set();
    for (const e of service.endpoints) {
      const key = `${e.address}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let state = this.endpoints.get(key);
      if (state) state.update(e, perEndpoint);
      else {
        state = new EndpointState(e.address, e.port, perEndpoint, e);
        this.endpoints.set(key, state);
      }
      next.push(state);
    }
    for (const [key, state] of this.endpoints) {
      if (!seen.has(key)) {
        this.endpoints.delete(key);
        void state.close();
      }
    }
    this.list = next;
  }
  /**
   * Feeds one attempt's result to latency tracking and outlier detection (Envoy's putHttpResponseCode /
   * putResponseTime). Returns true when it ejected the endpoint.
   */
  report(endpoint, status, failure, latencyMs, now) {
    if (failure === void 0) {
      if (endpoint.ewmaMs === 0 || latencyMs > endpoint.ewmaMs) endpoint.ewmaMs = latencyMs;
      else {
        const w = Math.exp(-(now - endpoint.ewmaAt) / EWMA_DECAY_MS);
        endpoint.ewmaMs = endpoint.ewmaMs * w + latencyMs * (1 - w);
      }
      endpoint.ewmaAt = now;
    }
    return this.outlier.record(endpoint, failure !== void 0 || status >= 500, now, this.list);
  }
  async close() {
    await Promise.all([...this.endpoints.values()].map((e) => e.close()));
    this.endpoints.clear();
    this.list = [];
  }
  async destroy() {
    await Promise.all([...this.endpoints.values()].map((e) => e.destroy()));
  }
};
function connectionShare(maxConnections, endpoints) {
  if (maxConnections === void 0) return null;
  return Math.max(1, Math.floor(maxConnections / Math.max(1, endpoints)));
}
var UpstreamRegistry = class {
  services = /* @__PURE__ */ new Map();
  /** Brings the registry in line with a snapshot's outbound services; returns them by "name.namespace". */
  sync(services) {
    const current = /* @__PURE__ */ new Map();
    for (const s of services) {
      const key = `${s.name}.${s.namespace}`;
      let state = this.services.get(key);
      if (!state) {
        state = new UpstreamService(key);
        this.services.set(key, state);
      }
      state.sync(s);
      current.set(key, state);
    }
    for (const [key, state] of this.services) {
      if (!current.has(key)) {
        this.services.delete(key);
        void state.close();
      }
    }
    return current;
  }
  all() {
    return this.services.values();
  }
  async close() {
    await Promise.all([...this.services.values()].map((s) => s.close()));
  }
  async destroy() {
    await Promise.all([...this.services.values()].map((s) => s.destroy()));
  }
};
function localApp(port) {
  const app = new UpstreamService("local-app");
  const endpoint = { address: "127.0.0.1", port, labels: {} };
  app.sync({ endpoints: [endpoint], circuitBreaker: void 0 });
  return app;
}

// apps/proxy/src/upstream/tunnel.ts
import http3 from "node:http";
var UPGRADE_TIMEOUT_MS = 1e4;
function writeRawResponse(socket, response) {
  const body = typeof response.body === "string" || Buffer.isBuffer(response.body) ? response.body : "";
  let text = `HTTP/1.1 ${response.status} ${http3.STATUS_CODES[response.status] ?? ""}\r
connection: close\r
`;
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === void 0 || name === "connection") continue;
    for (const v of Array.isArray(value) ? value : [value]) text += `${name}: ${v}\r
`;
  }
  socket.end(`${text}\r
${body.toString()}`);
}
function head(status, statusMessage, rawHeaders) {
  let out = `HTTP/1.1 ${status} ${statusMessage ?? http3.STATUS_CODES[status] ?? ""}\r
`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r
`;
  return `${out}\r
`;
}
function tunnel(req, clientSocket, clientHead, address, port, headers) {
  const upgrade = req.headers.upgrade ?? "websocket";
  const upstreamReq = http3.request({
    host: address,
    port,
    method: req.method,
    path: req.url,
    headers: { ...headers, connection: "Upgrade", upgrade },
    agent: false,
    timeout: UPGRADE_TIMEOUT_MS
  });
  clientSocket.on("error", () => upstreamReq.destroy());
  upstreamReq.on("timeout", () => upstreamReq.destroy(Object.assign(new Error("upgrade timed out"), { code: "UND_ERR_HEADERS_TIMEOUT" })));
  upstreamReq.on("upgrade", (res, upstreamSocket, upstreamHead) => {
    upstreamReq.setTimeout(0);
    clientSocket.write(head(res.statusCode ?? 101, res.statusMessage, res.rawHeaders));
    if (upstreamHead.length > 0) clientSocket.write(upstreamHead);
    if (clientHead.length > 0) upstreamSocket.write(clientHead);
    const close = () => {
      clientSocket.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on("error", close).on("close", close);
    clientSocket.on("error", close).on("close", close);
    upstreamSocket.pipe(clientSocket).pipe(upstreamSocket);
  });
  upstreamReq.on("response", (res) => {
    clientSocket.write(head(res.statusCode ?? 502, res.statusMessage, res.rawHeaders));
    res.pipe(clientSocket);
  });
  upstreamReq.on("error", (err) => {
    if (clientSocket.destroyed) return;
    writeRawResponse(clientSocket, transportErrorResponse(err, `${address}:${port}`));
  });
  upstreamReq.end();
}

// apps/proxy/src/workload.ts
var NOT_READY = () => Promise.resolve(proxyError("not-ready", "waiting for a snapshot from the control plane"));
var Workload = class {
  constructor(options, shared) {
    this.options = options;
    this.shared = shared;
    this.self = `${options.service}.${options.namespace}`;
    this.edges = new EdgeTable(this.self, options.labels.version);
    this.tracer = new Tracer(this.self);
    this.app = options.appPort === void 0 ? void 0 : localApp(options.appPort);
    const appEndpoint = this.app?.list[0];
    this.deps = {
      self: this.self,
      namespace: options.namespace,
      zone: options.zone,
      app: appEndpoint,
      upstreams: this.upstreamRegistry,
      limiters: new LimiterRegistry(),
      caches: new CacheRegistry(),
      tracer: this.tracer
    };
    const log = (line) => shared.log(`${this.self}: ${line}`);
    if (options.appPort !== void 0) {
      this.inbound = new Listener({
        name: `${this.self} inbound`,
        host: options.address,
        port: options.inboundPort,
        limits: shared.limits,
        log,
        handle: (req) => this.active ? this.active.inbound(req) : NOT_READY(),
        onDone: (req, status, ms) => {
          this.tracer.serverSpan(req, status, ms);
          this.edges.inboundEdge(req.source, req.route).record(status, ms, 0, req.rateLimited, req.cache === "HIT", 0);
        },
        onUpgrade: (req, socket, head2) => this.upgrade(req, socket, head2, (r) => this.active ? this.active.inboundUpgrade(r) : NOT_READY())
      });
    }
    this.outbound = new Listener({
      name: `${this.self} outbound`,
      host: "127.0.0.1",
      port: options.outboundPort,
      limits: shared.limits,
      log,
      handle: (req) => this.active ? this.active.outbound(req) : NOT_READY(),
      onDone: (req, status, ms) => {
        this.edges.outboundEdge(req.destination || "unknown", req.route, req.version).record(status, ms, req.retries, status === 429, false, req.ejections);
      },
      onUpgrade: (req, socket, head2) => this.upgrade(req, socket, head2, (r) => this.active ? this.active.outboundUpgrade(r) : NOT_READY())
    });
  }
  options;
  shared;
  self;
  edges;
  tracer;
  instance = "";
  ports = { outbound: 0 };
  active;
  app;
  upstreamRegistry = new UpstreamRegistry();
  deps;
  inbound;
  outbound;
  stream;
  reporter;
  /** Binds the listeners (port 0 picks a free one), then starts the config source. */
  async start(adminPort) {
    const { options } = this;
    if (this.inbound) this.ports.inbound = await this.inbound.listen();
    this.ports.outbound = await this.outbound.listen();
    this.instance = options.instance ?? `${os.hostname()}:${this.ports.inbound ?? this.ports.outbound}`;
    if (options.configFile) {
      this.apply(await readConfigFile(options.configFile), "file");
      return;
    }
    if (!this.shared.controlPlane) throw new Error(`${this.self}: needs --control-plane or --config`);
    const dataDir = options.dataDir ?? path2.join(options.dataRoot ?? ".trellis/proxy", `${options.service}-${this.instance.replace(/[^A-Za-z0-9._-]/g, "_")}`);
    const stream = new StreamClient({
      controlPlane: this.shared.controlPlane,
      identity: {
        service: options.service,
        namespace: options.namespace,
        instance: this.instance,
        ...options.zone ? { zone: options.zone } : {},
        labels: options.labels,
        ...this.ports.inbound !== void 0 ? { endpoint: { address: options.address, port: this.ports.inbound } } : {},
        ports: { outbound: this.ports.outbound, admin: adminPort, ...options.appPort !== void 0 ? { app: options.appPort } : {} },
        proxyVersion: PROXY_VERSION
      },
      apply: (snapshot, source) => this.apply(snapshot, source),
      cacheFile: path2.join(dataDir, "snapshot.json"),
      log: (line) => this.shared.log(`${this.self}: ${line}`)
    });
    this.stream = stream;
    this.reporter = new TelemetryReporter(stream, this.edges, this.tracer);
    this.reporter.start();
    await stream.start();
  }
  /** Compiles and swaps in a snapshot; throws, keeping the current one, when it cannot be served. */
  apply(snapshot, source) {
    const next = compileSnapshot(snapshot, this.deps, { name: this.options.service, namespace: this.options.namespace }, source);
    this.active = next;
    this.shared.log(`${this.self}: applied snapshot version ${snapshot.version} (${source})`);
  }
  /** Re-reads --config (SIGHUP); a file that does not validate is refused and the old snapshot stays. */
  async reloadConfigFile() {
    if (!this.options.configFile) return;
    try {
      this.apply(await readConfigFile(this.options.configFile), "file");
    } catch (err) {
      this.shared.log(`${this.self}: kept snapshot version ${this.active?.snapshot.version ?? "none"}; ${err.message}`);
    }
  }
  get ready() {
    return this.active !== void 0;
  }
  configVersion() {
    return this.active?.snapshot.version;
  }
  upstreams() {
    return this.upstreamRegistry.all();
  }
  /** What /config shows for this workload. */
  describe() {
    const a = this.active;
    return {
      service: this.options.service,
      namespace: this.options.namespace,
      instance: this.instance,
      ports: this.ports,
      stream: this.stream?.state ?? "none",
      version: a?.snapshot.version ?? null,
      digest: a?.snapshot.digest ?? null,
      source: a?.source ?? null,
      appliedAt: a?.appliedAt ?? null,
      snapshot: a?.snapshot ?? null
    };
  }
  /** SIGTERM: stop accepting, let requests in flight finish until `deadline`, send the last telemetry. */
  async drain(deadline) {
    await Promise.all([this.inbound?.drain(deadline), this.outbound.drain(deadline)]);
    this.reporter?.report();
    this.reporter?.stop();
    await this.stream?.close();
    await Promise.all([this.upstreamRegistry.destroy(), this.app?.destroy()]);
  }
  spansDropped() {
    return this.tracer.buffer.dropped;
  }
  upgrade(incoming, socket, head2, check) {
    const req = new ProxyRequest(incoming, incoming.method ?? "GET", incoming.url ?? "/", withoutHopByHop(incoming.headers, false), null, performance6.now());
    check(req).then(
      (answer) => {
        const target = req.upstream;
        if (answer !== UPGRADE_ALLOWED || target === void 0) return writeRawResponse(socket, answer);
        const colon = target.lastIndexOf(":");
        tunnel(incoming, socket, head2, target.slice(0, colon), Number(target.slice(colon + 1)), req.headers);
      },
      (err) => writeRawResponse(socket, proxyError("internal-error", err.message))
    );
  }
};

// apps/proxy/src/proxy.ts
async function startProxy(options) {
  const shared = { ...options.controlPlane ? { controlPlane: options.controlPlane } : {}, limits: options.limits, log: options.log };
  const workloads = options.workloads.map((w) => new Workload(w, shared));
  const registry = createMetricsRegistry(() => workloads);
  registry.registerMetric(
    new Counter({
      name: "trellis_proxy_spans_dropped_total",
      help: "Spans dropped because the buffer for the control plane was full.",
      registers: [],
      collect() {
        this.reset();
        this.inc(workloads.reduce((n, w) => n + w.spansDropped(), 0));
      }
    })
  );
  registry.registerMetric(
    new Counter({
      name: "trellis_rate_limiter_unavailable_total",
      help: "Global rate-limit decisions taken without Redis (it did not answer); the failure mode applied.",
      registers: [],
      collect() {
        this.reset();
        this.inc(redisFailures.count);
      }
    })
  );
  const admin = new AdminServer(workloads, registry);
  const adminPort = await admin.listen(options.adminPort, options.adminAddress);
  try {
    for (const w of workloads) await w.start(adminPort);
  } catch (err) {
    admin.close();
    await Promise.all(workloads.map((w) => w.drain(performance7.now())));
    throw err;
  }
  let draining;
  return {
    workloads,
    adminPort,
    readyLine() {
      const list = workloads.map((w) => ({ service: w.options.service, namespace: w.options.namespace, instance: w.instance, ...w.ports }));
      const first2 = list[0];
      const ports = list.length === 1 && first2 ? { inbound: first2.inbound, outbound: first2.outbound } : {};
      return `trellis proxy ready ${JSON.stringify({ admin: adminPort, ...ports, workloads: list })}`;
    },
    async reload() {
      for (const w of workloads) await w.reloadConfigFile();
    },
    drain() {
      draining ??= (async () => {
        admin.draining = true;
        const deadline = performance7.now() + options.drainTimeoutMs;
        await Promise.all(workloads.map((w) => w.drain(deadline)));
        await closeRedisConnections();
        admin.close();
      })();
      return draining;
    }
  };
}

// apps/cli/src/commands/proxy.ts
var USAGE = `trellis proxy --service NAME [--namespace default] [--zone ZONE] [--label key=value ...]
                     [--app-port PORT] [--inbound-port 15006] [--outbound-port 15001] [--admin-port 15000]
                     [--control-plane URL | --config SNAPSHOT.json] [--instance ID] [--data-dir DIR] [--address 127.0.0.1]
       trellis proxy --workload service=NAME,app-port=P,inbound-port=P,outbound-port=P[,namespace=..,zone=..,instance=..,
                     label.KEY=VALUE,config=FILE,data-dir=DIR] [--workload ...]   (node agent: one process, many workloads)`;
var HELP = `${USAGE}

Sidecar mode serves one workload; node-agent mode (--workload, repeatable) serves several, each with its
own listeners, identity, snapshot and disk copy. Flags given next to --workload (--namespace, --zone,
--label, --address, --control-plane, --data-dir) are defaults for every workload.

  --control-plane URL        control plane to stream config from (default TRELLIS_SERVER or http://127.0.0.1:7400)
  --config FILE              serve this snapshot JSON instead (standalone, tests); re-read on SIGHUP
  --app-port PORT            the local app; without it the workload only calls out (no inbound listener)
  --inbound-port PORT        where other proxies reach this workload (0 = any free port)
  --outbound-port PORT       where the local app sends requests, Host header naming the service
  --admin-port PORT          /ready, /config, /metrics (0 = any free port)
  --address ADDR             address the inbound listener binds and announces (default 127.0.0.1)
  --admin-address ADDR       address the admin listener binds (default 127.0.0.1)
  --data-dir DIR             where the last good snapshot is kept (default .trellis/proxy/<service>-<instance>)
  --max-header-bytes N       largest request head accepted (default ${DEFAULT_LIMITS.maxHeaderBytes}; larger gets 431)
  --client-header-timeout MS time a client has to send its request head (default ${DEFAULT_LIMITS.headersTimeoutMs}; then 408)
  --client-idle-timeout MS   idle connections are closed after this (default ${DEFAULT_LIMITS.idleTimeoutMs})
  --drain-timeout MS         SIGTERM waits this long for requests in flight (default ${DEFAULT_DRAIN_TIMEOUT_MS})

Once listening it prints one line: trellis proxy ready {"admin":..,"inbound":..,"outbound":..,"workloads":[..]}`;
var WORKLOAD_KEYS = /* @__PURE__ */ new Set(["service", "namespace", "zone", "instance", "app-port", "inbound-port", "outbound-port", "address", "config", "data-dir"]);
function positiveMs(value, flag, fallback) {
  if (value === void 0) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag}: "${value}" is not a number of milliseconds (1 or more)`, 2);
  return n;
}
function parseLabel(text, flag) {
  const eq = text.indexOf("=");
  if (eq < 1) throw new CliError(`${flag}: "${text}" is not key=value`, 2);
  return [text.slice(0, eq), text.slice(eq + 1)];
}
function parseWorkload(spec, defaults) {
  const fields = /* @__PURE__ */ new Map();
  const labels = { ...defaults.labels };
  for (const part of spec.split(",")) {
    const [key, value] = parseLabel(part.trim(), "--workload");
    if (key.startsWith("label.")) labels[key.slice(6)] = value;
    else if (WORKLOAD_KEYS.has(key)) fields.set(key, value);
    else throw new CliError(`--workload: unknown key "${key}" (known: ${[...WORKLOAD_KEYS].join(", ")}, label.KEY)`, 2);
  }
  const service = fields.get("service");
  if (!service) throw new CliError(`--workload "${spec}": service= is required`, 2);
  const appPort = fields.get("app-port");
  const workload = {
    ...defaults,
    service,
    namespace: fields.get("namespace") ?? defaults.namespace,
    labels,
    inboundPort: parsePort(fields.get("inbound-port"), `--workload ${service} inbound-port`, 0),
    outboundPort: parsePort(fields.get("outbound-port"), `--workload ${service} outbound-port`, 0),
    address: fields.get("address") ?? defaults.address
  };
  if (appPort !== void 0) workload.appPort = parsePort(appPort, `--workload ${service} app-port`, 0);
  const zone = fields.get("zone") ?? defaults.zone;
  if (zone !== void 0) workload.zone = zone;
  const instance = fields.get("instance");
  if (instance !== void 0) workload.instance = instance;
  const config = fields.get("config");
  if (config !== void 0) workload.configFile = path3.resolve(config);
  const dataDir = fields.get("data-dir");
  if (dataDir !== void 0) workload.dataDir = path3.resolve(dataDir);
  return workload;
}
async function run(argv) {
  const { values } = parseCommandArgs(
    "proxy",
    argv,
    {
      service: { type: "string" },
      namespace: { type: "string" },
      zone: { type: "string" },
      label: { type: "string", multiple: true },
      instance: { type: "string" },
      "app-port": { type: "string" },
      "inbound-port": { type: "string" },
      "outbound-port": { type: "string" },
      "admin-port": { type: "string" },
      "admin-address": { type: "string" },
      "control-plane": { type: "string" },
      config: { type: "string" },
      "data-dir": { type: "string" },
      address: { type: "string" },
      workload: { type: "string", multiple: true },
      "max-header-bytes": { type: "string" },
      "client-header-timeout": { type: "string" },
      "client-idle-timeout": { type: "string" },
      "drain-timeout": { type: "string" },
      help: { type: "boolean", short: "h" }
    },
    USAGE
  );
  if (values.help) {
    process.stdout.write(`usage: ${HELP}
`);
    return 0;
  }
  const labels = Object.fromEntries((values.label ?? []).map((l) => parseLabel(l, "--label")));
  const namespace = values.namespace ?? "default";
  const address = values.address ?? "127.0.0.1";
  const workloads = [];
  if (values.workload?.length) {
    for (const flag of ["service", "app-port", "inbound-port", "outbound-port", "instance", "config"]) {
      if (values[flag] !== void 0) throw new CliError(`--${flag} cannot be combined with --workload; put it inside each --workload`, 2);
    }
    const defaults = {
      namespace,
      labels,
      address,
      ...values.zone !== void 0 ? { zone: values.zone } : {},
      ...values["data-dir"] !== void 0 ? { dataRoot: path3.resolve(values["data-dir"]) } : {}
    };
    for (const spec of values.workload) workloads.push(parseWorkload(spec, defaults));
  } else {
    if (!values.service) throw new CliError(`trellis proxy: --service is required (or --workload for a node agent)
usage: ${USAGE}`, 2);
    const w = {
      service: values.service,
      namespace,
      labels,
      address,
      inboundPort: parsePort(values["inbound-port"], "--inbound-port", 15006),
      outboundPort: parsePort(values["outbound-port"], "--outbound-port", 15001)
    };
    if (values["app-port"] !== void 0) w.appPort = parsePort(values["app-port"], "--app-port", 0);
    if (values.zone !== void 0) w.zone = values.zone;
    if (values.instance !== void 0) w.instance = values.instance;
    if (values.config !== void 0) w.configFile = path3.resolve(values.config);
    if (values["data-dir"] !== void 0) w.dataDir = path3.resolve(values["data-dir"]);
    workloads.push(w);
  }
  const needsControlPlane = workloads.some((w) => w.configFile === void 0);
  if (values["control-plane"] !== void 0 && !needsControlPlane) {
    throw new CliError("--control-plane and --config are alternatives: a proxy takes its config from one of them", 2);
  }
  const options = {
    workloads,
    adminPort: parsePort(values["admin-port"], "--admin-port", 15e3),
    adminAddress: values["admin-address"] ?? "127.0.0.1",
    limits: {
      maxHeaderBytes: positiveMs(values["max-header-bytes"], "--max-header-bytes", DEFAULT_LIMITS.maxHeaderBytes),
      headersTimeoutMs: positiveMs(values["client-header-timeout"], "--client-header-timeout", DEFAULT_LIMITS.headersTimeoutMs),
      idleTimeoutMs: positiveMs(values["client-idle-timeout"], "--client-idle-timeout", DEFAULT_LIMITS.idleTimeoutMs)
    },
    drainTimeoutMs: positiveMs(values["drain-timeout"], "--drain-timeout", DEFAULT_DRAIN_TIMEOUT_MS),
    log: (line) => process.stderr.write(`[proxy] ${line}
`)
  };
  if (needsControlPlane) options.controlPlane = values["control-plane"] ?? cliEnv.server ?? "http://127.0.0.1:7400";
  let proxy;
  try {
    proxy = await startProxy(options);
  } catch (err) {
    throw new CliError(`trellis proxy: ${err.message}`);
  }
  const running = proxy;
  process.stdout.write(`${running.readyLine()}
`);
  process.on("SIGHUP", () => void running.reload());
  await new Promise((resolve) => {
    let stopping = false;
    const stop = (signal) => {
      if (stopping) {
        options.log(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      options.log(`${signal}: draining (up to ${options.drainTimeoutMs} ms)`);
      running.drain().then(resolve, resolve);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}
export {
  run
};
//# sourceMappingURL=proxy-FIGAFH35.js.map
