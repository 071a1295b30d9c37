import { z } from 'zod';
import { labels } from './resources/index.ts';
import { snapshotSchema } from './snapshot.ts';
import { metricsReport, spanSchema } from './telemetry.ts';

// The proxy stream: one WebSocket per proxy at STREAM_PATH, JSON messages tagged by `type`.
// proxy -> control plane: hello, then ack/nack per snapshot, ping, metrics, spans.
// control plane -> proxy: snapshot (full), pong, error.

export const STREAM_PATH = '/v1/stream';
export const STREAM_PROTOCOL_VERSION = 1;
export const HEARTBEAT_INTERVAL_MS = 5_000;

export const proxyIdentity = z.object({
  service: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('default'),
  /** Unique per proxy process (pod name, or host:port). */
  instance: z.string().min(1).max(253),
  zone: z.string().optional(),
  labels: labels.default({}),
  /** Where other proxies reach this workload (the proxy's inbound listener); omitted for callers only. */
  endpoint: z.object({ address: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
  /** The proxy's other listeners, shown in the dashboard. */
  ports: z.object({ outbound: z.number().int().optional(), admin: z.number().int().optional(), app: z.number().int().optional() }).default({}),
  /** Software version of the proxy. */
  proxyVersion: z.string(),
});

export const helloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.literal(STREAM_PROTOCOL_VERSION),
  proxy: proxyIdentity,
  /** The snapshot the proxy already runs (from memory or disk), so an unchanged one is not resent. */
  current: z.object({ version: z.number().int(), digest: z.string() }).optional(),
});

export const proxyMessage = z.discriminatedUnion('type', [
  helloMessage,
  z.object({ type: z.literal('ack'), version: z.number().int() }),
  z.object({ type: z.literal('nack'), version: z.number().int(), reason: z.string() }),
  z.object({ type: z.literal('ping'), at: z.number() }),
  z.object({ type: z.literal('metrics'), report: metricsReport }),
  z.object({ type: z.literal('spans'), spans: z.array(spanSchema).max(10_000) }),
]);

export const controlMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), snapshot: snapshotSchema }),
  z.object({ type: z.literal('pong'), at: z.number() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);

export type ProxyIdentity = z.infer<typeof proxyIdentity>;
export type HelloMessage = z.infer<typeof helloMessage>;
export type ProxyMessage = z.infer<typeof proxyMessage>;
export type ControlMessage = z.infer<typeof controlMessage>;
