import { z } from 'zod';
import { labels } from './resources/index.ts';
import { snapshotSchema } from './snapshot.ts';
import { metricsReport, spanSchema } from './telemetry.ts';

// The proxy stream: one WebSocket over TLS per proxy at STREAM_PATH, JSON messages tagged by `type`.
// proxy -> control plane: hello (with a credential and a CSR when it needs a certificate), then ack/nack
//   per snapshot, csr (renewal), bundle-ack, ping, metrics, spans, readiness, scale-up.
// control plane -> proxy: certificate, trust-bundle, renew, snapshot (full), pong, error.
// A proxy proves who it is with its certificate (TLS client auth) or, the first time, with a credential
// in its hello; nothing else is sent to it before that check passes.

export const STREAM_PATH = '/v1/stream';
/** Served over TLS to anyone: the roots a proxy checks against its join token's pin before it trusts them. */
export const TRUST_BUNDLE_PATH = '/v1/trust-bundle';
export const STREAM_PROTOCOL_VERSION = 2;
/** A proxy pings this often; three missed in a row and either side takes the connection for dead. */
export const HEARTBEAT_INTERVAL_MS = 2_000;

/** WebSocket close codes the control plane uses when it turns a proxy away. */
export const STREAM_CLOSE = {
  /** No valid credential or certificate: the proxy should not retry quickly. */
  unauthenticated: 4401,
  /** Authenticated, but not as the service it claims to be. */
  forbidden: 4403,
} as const;

const pem = z.string().min(1).max(64 * 1024);

export const proxyIdentity = z.object({
  service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('default'),
  /** Unique per proxy process (pod name, or host:port). */
  instance: z.string().min(1).max(253),
  zone: z.string().max(253).optional(),
  labels: labels.default({}),
  /** Where other proxies reach this workload (the proxy's inbound listener); omitted for callers only. */
  endpoint: z.object({ address: z.string().min(1).max(253), port: z.number().int().min(1).max(65535) }).optional(),
  /** The proxy's other listeners, shown in the dashboard. */
  ports: z.object({ outbound: z.number().int().optional(), admin: z.number().int().optional(), app: z.number().int().optional() }).default({}),
  /** Software version of the proxy. */
  proxyVersion: z.string().max(64),
});

/** How a proxy without a valid certificate proves who it is. */
export const proxyCredential = z.discriminatedUnion('kind', [
  /** A join token an admin created for one service (`trellis token create --service ...`). */
  z.object({ kind: z.literal('join-token'), token: z.string().min(1).max(512) }),
  /** A projected Kubernetes ServiceAccount token (audience "trellis"), checked with a TokenReview. */
  z.object({ kind: z.literal('service-account-token'), token: z.string().min(1).max(16 * 1024) }),
]);

/** The roots every proxy trusts; more than one while a rotation is under way. */
export const trustBundle = z.object({ version: z.number().int().min(1), roots: z.array(pem).min(1).max(8) });

export const helloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.literal(STREAM_PROTOCOL_VERSION),
  proxy: proxyIdentity,
  /** The snapshot the proxy already runs (from memory or disk), so an unchanged one is not resent. */
  current: z.object({ version: z.number().int(), digest: z.string().max(128) }).optional(),
  /** Needed when the connection carries no valid client certificate. */
  credential: proxyCredential.optional(),
  /** A PKCS#10 request (PEM) for a certificate, when the proxy has none or it is due for renewal. */
  csr: pem.optional(),
  /** Whether its app answers its readiness probe: only a ready proxy's endpoint is given to callers. */
  ready: z.boolean().default(true),
});

export const proxyMessage = z.discriminatedUnion('type', [
  helloMessage,
  z.object({ type: z.literal('ack'), version: z.number().int() }),
  z.object({ type: z.literal('nack'), version: z.number().int(), reason: z.string().max(4096) }),
  z.object({ type: z.literal('ping'), at: z.number() }),
  z.object({ type: z.literal('metrics'), report: metricsReport }),
  z.object({ type: z.literal('spans'), spans: z.array(spanSchema).max(10_000) }),
  /** Renewal: a new key's request, answered with a `certificate`. */
  z.object({ type: z.literal('csr'), csr: pem }),
  /** The proxy now trusts this bundle version (rotation waits for every proxy's). */
  z.object({ type: z.literal('bundle-ack'), version: z.number().int() }),
  /** Its app started or stopped answering the readiness probe. */
  z.object({ type: z.literal('readiness'), ready: z.boolean(), reason: z.string().max(1024).optional() }),
  /**
   * Requests wait for a service scaled to zero (ScaleToZeroPolicy): the proxy asks the control plane to
   * scale it up. Sent again while requests still wait; the control plane asks its scaler at most once at a time.
   */
  z.object({
    type: z.literal('scale-up'),
    service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  }),
]);

export const issuedCertificate = z.object({
  /** Leaf then intermediate(s), PEM. */
  chain: pem,
  /** The SPIFFE ID the certificate carries. */
  identity: z.string(),
  notAfter: z.string(),
});

export const controlMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('certificate'), certificate: issuedCertificate, trustBundle }),
  z.object({ type: z.literal('trust-bundle'), trustBundle }),
  /** Asks the proxy for a CSR now (the CA changed its issuer during a rotation). */
  z.object({ type: z.literal('renew'), reason: z.string() }),
  z.object({ type: z.literal('snapshot'), snapshot: snapshotSchema }),
  z.object({ type: z.literal('pong'), at: z.number() }),
  z.object({ type: z.literal('error'), message: z.string(), code: z.enum(['unauthenticated', 'forbidden', 'invalid']).optional() }),
]);

export type ProxyIdentity = z.infer<typeof proxyIdentity>;
export type ProxyCredential = z.infer<typeof proxyCredential>;
export type TrustBundle = z.infer<typeof trustBundle>;
export type IssuedCertificate = z.infer<typeof issuedCertificate>;
export type HelloMessage = z.infer<typeof helloMessage>;
export type ProxyMessage = z.infer<typeof proxyMessage>;
export type ControlMessage = z.infer<typeof controlMessage>;
