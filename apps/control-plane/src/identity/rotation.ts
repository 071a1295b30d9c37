import { EventEmitter } from 'node:events';
import type { StreamServer } from '../stream/server.ts';
import type { ProxySession } from '../stream/session.ts';
import type { MeshCA } from './ca.ts';

/**
 * idle; distributing: the new root is in the bundle, waiting until every connected proxy trusts it;
 * reissuing: the new root's intermediate signs, waiting until every proxy holds a certificate from it;
 * retiring: the old root left the bundle, waiting until every proxy has dropped it.
 */
export type RotationPhase = 'idle' | 'distributing' | 'reissuing' | 'retiring';

export interface RotationStatus {
  phase: RotationPhase;
  startedAt: string | null;
  /** The root the mesh moves to. */
  newRoot: string | null;
  bundleVersion: number;
  /** Connected proxies the current phase still waits for. */
  waitingFor: { instance: string; service: string; namespace: string; why: string }[];
  lastCompletedAt: string | null;
}

/**
 * Moves the mesh to a new root without a failed request: first every proxy trusts old and new roots,
 * then every proxy gets a certificate from the new root, then the old root leaves the bundle. Each step
 * waits for every connected proxy to acknowledge the last one (Linkerd leaves this to a manual
 * procedure). Proxies that are not connected are not waited for: one that stays away until the old root
 * is gone must join again with a new token.
 */
export class TrustRotation extends EventEmitter {
  private phase: RotationPhase = 'idle';
  private startedAt: Date | null = null;
  private newRoot: string | null = null;
  private lastCompletedAt: Date | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ca: MeshCA,
    private readonly stream: StreamServer,
    private readonly log: (line: string) => void,
  ) {
    super();
    // A control plane that restarts in the middle of a rotation carries on from the CA's saved state.
    const roots = ca.describeRoots();
    const incoming = roots.find((r) => r.status === 'incoming');
    if (incoming) this.resume('distributing', incoming.id);
    else if (roots.some((r) => r.status === 'retiring')) this.resume('reissuing', ca.issuing.rootId);
    for (const event of ['bundle-ack', 'certificate', 'hello', 'departed']) stream.on(event, () => this.tick());
    stream.on('hello', (s: ProxySession) => {
      if (this.phase === 'reissuing' && s.certificate && s.certificate.rootId !== this.newRoot) s.send({ type: 'renew', reason: 'the mesh is moving to a new root' });
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** Starts a rotation: a new root joins the trust bundle. */
  async start(): Promise<RotationStatus> {
    if (this.phase !== 'idle') throw new RotationError(`a rotation is already under way (${this.phase})`);
    const rootId = await this.ca.addIncomingRoot();
    this.resume('distributing', rootId);
    this.log(`trust rotation: started, new root ${rootId}; waiting for ${this.stream.connectedCount} proxies to trust it`);
    this.tick();
    return this.status();
  }

  status(): RotationStatus {
    return {
      phase: this.phase,
      startedAt: this.startedAt?.toISOString() ?? null,
      newRoot: this.newRoot,
      bundleVersion: this.ca.bundle().version,
      waitingFor: this.waiting().map((s) => ({ instance: s.identity.instance, service: s.who.service, namespace: s.who.namespace, why: this.why() })),
      lastCompletedAt: this.lastCompletedAt?.toISOString() ?? null,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private resume(phase: RotationPhase, newRoot: string): void {
    this.phase = phase;
    this.newRoot = newRoot;
    this.startedAt ??= new Date();
  }

  private why(): string {
    if (this.phase === 'distributing') return `has not acknowledged trust bundle ${this.ca.bundle().version}`;
    if (this.phase === 'reissuing') return `has no certificate from root ${this.newRoot ?? ''} yet`;
    if (this.phase === 'retiring') return `has not acknowledged trust bundle ${this.ca.bundle().version}`;
    return '';
  }

  private waiting(): ProxySession[] {
    const version = this.ca.bundle().version;
    const sessions = this.stream.connected();
    switch (this.phase) {
      case 'distributing':
      case 'retiring':
        return sessions.filter((s) => s.bundleVersion < version);
      case 'reissuing':
        return sessions.filter((s) => s.certificate !== undefined && s.certificate.rootId !== this.newRoot);
      case 'idle':
        return [];
    }
  }

  /** Moves to the next phase when nobody is left to wait for; one step at a time. */
  private tick(): void {
    if (this.phase === 'idle') return;
    this.ticking = this.ticking.then(async () => {
      if (this.phase === 'idle' || this.waiting().length > 0) return;
      if (this.phase === 'distributing') {
        await this.ca.activateIncomingRoot();
        this.phase = 'reissuing';
        this.log(`trust rotation: every proxy trusts root ${this.newRoot ?? ''}; asking for new certificates`);
        this.stream.requestRenewal('the mesh is moving to a new root', (s) => s.certificate !== undefined && s.certificate.rootId !== this.newRoot);
      } else if (this.phase === 'reissuing') {
        await this.ca.retireOldRoots();
        this.phase = 'retiring';
        this.log('trust rotation: every proxy has a certificate from the new root; old root retired');
      } else if (this.phase === 'retiring') {
        this.phase = 'idle';
        this.lastCompletedAt = new Date();
        this.startedAt = null;
        this.log(`trust rotation: done, the mesh trusts root ${this.newRoot ?? ''} only`);
        this.emit('done');
      }
      this.emit('progress', this.status());
    }).catch((err: Error) => this.log(`trust rotation: ${err.message}`));
  }
}

export class RotationError extends Error {}
