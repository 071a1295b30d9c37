import type { Auth } from './auth/service.ts';
import type { ConfigDistributor } from './compiler/distributor.ts';
import type { EndpointRegistry } from './discovery/registry.ts';
import type { ControlPlaneMetrics } from './metrics.ts';
import type { ResourceStore } from './store/resources.ts';
import type { StreamServer } from './stream/server.ts';
import type { Database } from './db/open.ts';
import type { Telemetry } from './telemetry/index.ts';
import type { IdentityService } from './identity/service.ts';
import type { TrustRotation } from './identity/rotation.ts';
import type { InjectorSettings } from './kubernetes/admission-http.ts';

/** The parts of a running control plane that API procedures use. */
export interface ControlPlaneServices {
  prisma: Database;
  store: ResourceStore;
  registry: EndpointRegistry;
  distributor: ConfigDistributor;
  stream: StreamServer;
  metrics: ControlPlaneMetrics;
  telemetry: Telemetry;
  /** Accounts, sessions, API tokens, sign-in links, SSO. */
  auth: Auth;
  identity: IdentityService;
  rotation: TrustRotation;
  /** The control plane's log (what `trellis control-plane` prints); internal errors are written here with their request id. */
  log: (line: string) => void;
  /** Whether a service was scaled to zero by its ScaleToZeroPolicy ("name.namespace"; false without a scaler). */
  scaledToZero?: (service: string) => boolean;
  /** Kubernetes sidecar injection, when the control plane was told the proxy image. */
  injector?: InjectorSettings | undefined;
}
