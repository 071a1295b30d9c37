import { describe, expect, it } from 'vitest';
import { STREAM_PATH, STREAM_PROTOCOL_VERSION, controlMessage, helloMessage, proxyIdentity, proxyMessage } from '../src/index.ts';
import { validSnapshot } from './support.ts';

const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.'));

const hello = {
  type: 'hello',
  protocol: STREAM_PROTOCOL_VERSION,
  proxy: { service: 'reviews', instance: 'reviews-v2-7d9f', proxyVersion: '0.1.0', labels: { version: 'v2' }, endpoint: { address: '10.0.0.12', port: 15006 } },
  current: { version: 4, digest: 'abc' },
};

describe('the proxy stream messages', () => {
  it('serves the stream at a fixed path and protocol version', () => {
    expect(STREAM_PATH).toBe('/v1/stream');
    expect(STREAM_PROTOCOL_VERSION).toBe(2);
  });

  it('accepts a hello, filling in namespace, labels and ports', () => {
    const parsed = helloMessage.parse({ type: 'hello', protocol: 2, proxy: { service: 'frontend', instance: 'frontend-1', proxyVersion: '0.1.0' } });
    expect(parsed.proxy).toEqual({ service: 'frontend', namespace: 'default', instance: 'frontend-1', labels: {}, ports: {}, proxyVersion: '0.1.0' });
    expect(parsed.current).toBeUndefined();
    expect(proxyMessage.parse(hello)).toMatchObject({ type: 'hello', current: { version: 4 } });
  });

  it('refuses a hello from another protocol version', () => {
    expect(paths(helloMessage.safeParse({ ...hello, protocol: 1 }))).toEqual(['protocol']);
  });

  it('refuses a proxy identity with a bad service name, empty instance or missing version', () => {
    expect(paths(proxyIdentity.safeParse({ ...hello.proxy, service: 'Reviews' }))).toEqual(['service']);
    expect(paths(proxyIdentity.safeParse({ ...hello.proxy, instance: '' }))).toEqual(['instance']);
    const { proxyVersion: _, ...noVersion } = hello.proxy;
    expect(paths(proxyIdentity.safeParse(noVersion))).toEqual(['proxyVersion']);
    expect(paths(proxyIdentity.safeParse({ ...hello.proxy, endpoint: { address: '10.0.0.12', port: 70000 } }))).toEqual(['endpoint.port']);
  });

  it('accepts acks, nacks with a reason, and pings', () => {
    expect(proxyMessage.parse({ type: 'ack', version: 7 })).toEqual({ type: 'ack', version: 7 });
    expect(proxyMessage.parse({ type: 'nack', version: 7, reason: 'invalid snapshot: tracing.sampling: too big' })).toMatchObject({ type: 'nack' });
    expect(proxyMessage.parse({ type: 'ping', at: 1 })).toEqual({ type: 'ping', at: 1 });
  });

  it('refuses a nack without a reason and an ack without a version', () => {
    expect(paths(proxyMessage.safeParse({ type: 'nack', version: 7 }))).toEqual(['reason']);
    expect(paths(proxyMessage.safeParse({ type: 'ack' }))).toEqual(['version']);
  });

  it('carries metrics and spans', () => {
    const metrics = { type: 'metrics', report: { at: 1, intervalMs: 1000, edges: [] } };
    expect(proxyMessage.parse(metrics)).toEqual(metrics);
    expect(paths(proxyMessage.safeParse({ type: 'spans', spans: [{ traceId: 'x' }] }))?.[0]).toBe('spans.0.traceId');
  });

  it('refuses unknown message types both ways', () => {
    expect(proxyMessage.safeParse({ type: 'bye' }).success).toBe(false);
    expect(controlMessage.safeParse({ type: 'hello' }).success).toBe(false);
  });

  it('accepts a snapshot message with a valid snapshot', () => {
    const parsed = controlMessage.parse({ type: 'snapshot', snapshot: validSnapshot(5) });
    expect(parsed.type === 'snapshot' && parsed.snapshot.version).toBe(5);
  });

  it('refuses a snapshot message with a malformed snapshot, naming the field', () => {
    const bad = { ...validSnapshot(5), tracing: { sampling: 2 } };
    expect(paths(controlMessage.safeParse({ type: 'snapshot', snapshot: bad }))).toEqual(['snapshot.tracing.sampling']);
  });

  it('accepts pongs and errors', () => {
    expect(controlMessage.parse({ type: 'pong', at: 5 })).toEqual({ type: 'pong', at: 5 });
    expect(controlMessage.parse({ type: 'error', message: 'unsupported protocol' })).toEqual({ type: 'error', message: 'unsupported protocol' });
    expect(paths(controlMessage.safeParse({ type: 'error' }))).toEqual(['message']);
  });
});

describe('identity messages on the stream', () => {
  it('takes a join token and a CSR in the hello, and certificates, bundles and renewals from the control plane', () => {
    const parsed = helloMessage.parse({ ...hello, credential: { kind: 'join-token', token: 'abc' }, csr: '-----BEGIN CERTIFICATE REQUEST-----' });
    expect(parsed.credential).toEqual({ kind: 'join-token', token: 'abc' });
    expect(proxyMessage.parse({ type: 'csr', csr: 'pem' })).toEqual({ type: 'csr', csr: 'pem' });
    expect(proxyMessage.parse({ type: 'bundle-ack', version: 2 })).toEqual({ type: 'bundle-ack', version: 2 });
    const trustBundle = { version: 2, roots: ['root-1', 'root-2'] };
    expect(controlMessage.parse({ type: 'certificate', certificate: { chain: 'pem', identity: 'spiffe://trellis.local/ns/default/sa/reviews', notAfter: '2026-12-01T00:00:00Z' }, trustBundle })).toMatchObject({ type: 'certificate' });
    expect(controlMessage.parse({ type: 'trust-bundle', trustBundle })).toEqual({ type: 'trust-bundle', trustBundle });
    expect(controlMessage.parse({ type: 'error', code: 'unauthenticated', message: 'no credential' })).toMatchObject({ code: 'unauthenticated' });
  });

  it('refuses an unknown credential kind and an empty bundle', () => {
    expect(paths(helloMessage.safeParse({ ...hello, credential: { kind: 'password', token: 'x' } }))).toEqual(['credential.kind']);
    expect(paths(controlMessage.safeParse({ type: 'trust-bundle', trustBundle: { version: 1, roots: [] } }))).toEqual(['trustBundle.roots']);
  });
});
