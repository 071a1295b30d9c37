import type { ClientLimits } from './http/listener.ts';
import type { AppProbeSpec } from './upstream/app-probe.ts';
import type { AppProtocol } from './filters/app-call.ts';

export const PROXY_VERSION = '0.1.0';

/** One workload the process serves: a sidecar has one, a node agent several. */
export interface WorkloadOptions {
  service: string;
  namespace: string;
  /** Unique per workload proxy; defaults to "<hostname>:<inbound port>". */
  instance?: string;
  zone?: string;
  labels: Record<string, string>;
  /** The local app's port; without it the workload only calls out (no inbound listener). */
  appPort?: number;
  /** What the app speaks (`--app-protocol`, default http1); gRPC calls reach it over h2c whatever this says. */
  appProtocol?: AppProtocol;
  inboundPort: number;
  outboundPort: number;
  /** Where other proxies reach the inbound listener (it also binds there). */
  address: string;
  /**
   * Where the outbound listener binds (default 127.0.0.1: only the local app may send through it). A node
   * agent on Kubernetes binds its pod IP, so that the node's pods reach it through its hostPort.
   */
  outboundAddress?: string;
  /** Where the last good snapshot is kept; defaults to <dataRoot>/<service>-<instance>. */
  dataDir?: string;
  /** Parent of the default data dir (node agents); defaults to .trellis/proxy. */
  dataRoot?: string;
  /** A snapshot JSON file to serve instead of a control plane (re-read on SIGHUP). */
  configFile?: string;
  /** The join token that lets this workload into the mesh the first time (`trellis token create --service`). */
  token?: string;
  /** In Kubernetes: a projected ServiceAccount token (audience "trellis") instead of a join token. */
  serviceAccountTokenFile?: string;
  /** Roots (PEM) to trust for the control plane until it sends its trust bundle (needed without a join token's pin). */
  initialRoots?: string[];
  /** How the sidecar checks its app (default: a TCP connect every second); a failing app is taken out of its service. */
  appProbe?: AppProbeSpec;
  appProbeIntervalMs?: number;
}

export const DEFAULT_APP_PROBE: AppProbeSpec = { kind: 'tcp' };
export const DEFAULT_APP_PROBE_INTERVAL_MS = 1000;
/** Failed probes in a row before the app is reported not ready. */
export const APP_PROBE_FAILURES = 2;

export interface ProxyOptions {
  workloads: WorkloadOptions[];
  /** The control plane's URL; omitted when every workload has a config file. */
  controlPlane?: string;
  adminPort: number;
  adminAddress: string;
  limits: ClientLimits;
  /**
   * Processes serving the listeners (default 1: this process alone). With N > 1 this process is the
   * primary (control-plane stream, identity, admin) and N node:cluster workers serve the traffic.
   */
  workers?: number;
  /** How long SIGTERM waits for requests in flight before closing them. */
  drainTimeoutMs: number;
  log: (line: string) => void;
}

export const DEFAULT_LIMITS: ClientLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  // Envoy's stream idle timeout: long enough for slow upstreams under a long TimeoutPolicy.
  idleTimeoutMs: 300_000,
};

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
