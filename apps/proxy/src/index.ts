// @trellis/proxy: the data plane. `trellis proxy` (apps/cli/src/commands/proxy.ts) parses flags and calls
// startProxy; docs/PROXY.md describes the behaviour.
export { startProxy } from './proxy.ts';
export type { RunningProxy } from './running-proxy.ts';
export { runProxyWorker } from './workers/worker.ts';
export { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LIMITS, PROXY_VERSION, type ProxyOptions, type WorkloadOptions } from './options.ts';
export { readConfigFile } from './config/config-file.ts';
export { limitHeapGrowth } from './heap-growth.ts';
export { REASONS, type ReasonCode } from './http/reasons.ts';
export { parseAppProbe, type AppProbeSpec } from './upstream/app-probe.ts';
