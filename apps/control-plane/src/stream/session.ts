import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import type { ControlMessage, ProxyIdentity, Snapshot } from '@trellis/shared';
import type { GroupMember } from '../compiler/distributor.ts';
import type { Authenticated } from '../identity/service.ts';

/** How long a pushed snapshot holds newer ones back while its proxy does not answer. */
const ACK_WAIT_MS = 30_000;

/** One connected proxy: who it proved to be, what it was sent, what it applied or refused. */
export class ProxySession implements GroupMember {
  readonly id = randomUUID();
  readonly connectedAt = new Date();
  lastSeen = Date.now();
  reported: { version: number; digest: string } | undefined;
  sentVersion: number | undefined;
  sentDigest: string | undefined;
  /** The last snapshot pushed and when, to measure time to ACK. */
  private inFlight: { version: number; digest: string; at: number } | undefined;
  applied: { version: number; digest: string; at: Date } | undefined;
  rejected: { version: number; reason: string; at: Date } | undefined;
  disconnectedAt: Date | undefined;
  /** The trust bundle version the proxy last acknowledged. */
  bundleVersion = 0;
  /** Whether its app answers its readiness probe, and why not: only a ready proxy's endpoint is in its service. */
  ready = true;
  notReadyReason: string | undefined;
  /** How far the proxy's clock is ahead of ours (ms; negative: behind), from its last heartbeat. */
  clockSkewMs: number | undefined;
  /** The root its current certificate chains to, and when that certificate expires (none: no mTLS). */
  certificate: { rootId: string; notAfter: Date } | undefined;

  constructor(
    /** What the proxy said in its hello; its service and namespace are the authenticated ones. */
    readonly identity: ProxyIdentity,
    readonly who: Authenticated,
    private readonly ws: WebSocket,
    private readonly onPush: () => void,
  ) {}

  /** "name.namespace" of the proxy's (authenticated) service. */
  get serviceKey(): string {
    return `${this.who.service}.${this.who.namespace}`;
  }

  /** A proxy that reconnects with the config it runs is in sync without being sent anything. */
  adoptReported(current: { version: number; digest: string } | undefined): void {
    this.reported = current;
    if (current) this.applied = { ...current, at: new Date() };
  }

  push(message: Buffer, snapshot: Snapshot): void {
    this.inFlight = { version: snapshot.version, digest: snapshot.digest, at: performance.now() };
    // The group's bytes as they are, in a text frame: nothing is copied or encoded per proxy.
    this.ws.send(message, { binary: false });
    this.onPush();
  }

  /**
   * A snapshot is in flight (pushed, not yet ACKed or NACKed): the distributor holds newer ones back
   * until it is answered. A proxy that has not answered within ACK_WAIT_MS is no longer waited for, so
   * one that lost a snapshot is not left behind for good (the next change reaches it).
   */
  get awaitingAck(): boolean {
    return this.inFlight !== undefined && performance.now() - this.inFlight.at < ACK_WAIT_MS;
  }

  send(message: ControlMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Records an ACK; returns the milliseconds since the snapshot was pushed, when it was this one. */
  ack(version: number): number | undefined {
    const pending = this.inFlight;
    if (!pending || pending.version !== version) return undefined;
    this.applied = { version, digest: pending.digest, at: new Date() };
    this.rejected = undefined;
    this.inFlight = undefined;
    return performance.now() - pending.at;
  }

  nack(version: number, reason: string): void {
    this.rejected = { version, reason, at: new Date() };
    if (this.inFlight?.version === version) this.inFlight = undefined;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
