import { EventEmitter } from 'node:events';
import type { Resource, Snapshot } from '@trellis/shared';
import { serviceKey, type EndpointRegistry, type ServiceKey } from '../discovery/registry.ts';
import type { ResourceRef, ResourceStore } from '../store/resources.ts';
import { CompileRound, compileSnapshot, digestOfJson, type MeshSettings } from './compile.ts';
import { PolicyIndex } from './policy-index.ts';
import type { VersionCounter } from './version-counter.ts';
import { GatewayRouteTable } from '../gateway/route-table.ts';

/** The proxies of one service share one compiled snapshot. */
export interface ConfigGroup {
  key: ServiceKey;
  name: string;
  namespace: string;
  snapshot?: Snapshot;
  /** The snapshot message, serialized and encoded once: the same bytes go to every proxy of the group. */
  message?: Buffer;
  members: Set<GroupMember>;
}

export interface GroupMember {
  /** Sends a serialized snapshot message (UTF-8 JSON) to the proxy. */
  push(message: Buffer, snapshot: Snapshot): void;
  /**
   * True while a snapshot pushed to it is neither ACKed nor NACKed: it is sent nothing more until then,
   * and then only the newest (one in flight per proxy, as xDS does). Without this a hello storm sent
   * every proxy one snapshot per recompile round, faster than it could apply them.
   */
  readonly awaitingAck?: boolean;
  /** What the proxy said it runs when it connected: it is not sent that again. */
  reported?: { version: number; digest: string } | undefined;
  /** The last snapshot version pushed to it. */
  sentVersion?: number | undefined;
  /** The digest of the last snapshot pushed to it: what it runs once it has applied everything sent. */
  sentDigest?: string | undefined;
}

/**
 * Keeps one immutable snapshot per service whose proxies are connected, recompiles when resources or
 * endpoints change, and pushes a new version only to groups whose snapshot actually changed.
 * Bursts of changes are coalesced into one recompile round.
 */
export class ConfigDistributor extends EventEmitter {
  private readonly resources = new Map<string, Resource>();
  private index = new PolicyIndex([]);
  private readonly groups = new Map<ServiceKey, ConfigGroup>();
  /** The highest version a joining proxy reported that the counter was already moved past. */
  private versionFloor = 0;
  private scheduled: NodeJS.Timeout | undefined;
  /** Resolves once the scheduled round has run. */
  private scheduledRound: Promise<void> | undefined;
  private resolveScheduled: ((round: Promise<void>) => void) | undefined;
  /** When the scheduled round fires, when its first change came, and whether a resource change is in it. */
  private due = { at: 0, since: 0, urgent: false };
  private round: Promise<void> = Promise.resolve();
  /** HTTPRoutes (Gateway API for the mesh), filled from Kubernetes in Kubernetes mode. */
  readonly gateway = new GatewayRouteTable();

  constructor(
    private readonly store: ResourceStore,
    private readonly registry: EndpointRegistry,
    private readonly counter: VersionCounter,
    private readonly mesh: MeshSettings,
    private readonly coalesceMs = 5,
    /**
     * Endpoint changes wait for `quietMs` without another (at most `maxMs` after the first), as istiod
     * debounces (100 ms, 10 s there): in a hello storm every proxy's hello changes its service's endpoints,
     * and a round each few milliseconds pushed every connected proxy a new snapshot each time.
     */
    private readonly endpointDebounce = { quietMs: 100, maxMs: 1000 },
  ) {
    super();
  }

  /** Loads every resource and starts following changes. */
  async start(): Promise<void> {
    for (const r of await this.store.list()) this.resources.set(refKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    this.index = new PolicyIndex([...this.resources.values()]);
    this.store.on('change', (ref: ResourceRef, committed: Resource | null) => this.resourceChanged(ref, committed));
    this.registry.on('change', () => void this.schedule('endpoints'));
    this.gateway.on('change', () => void this.schedule());
  }

  /**
   * A resource changed (through this control plane, or another replica): recompile from its committed
   * state. This process's store hands it over (`committed`: the row as written, null once deleted);
   * another replica's change is read back, so the compiled config matches the database exactly.
   */
  resourceChanged(ref: ResourceRef, committed?: Resource | null): void {
    this.round = this.round.then(async () => {
      // A database round trip less on the way from a write to the proxies (a loaded machine: 100 ms or more).
      const current = committed === undefined ? await this.store.get(ref) : committed;
      const key = refKey(ref.kind, ref.namespace, ref.name);
      if (current) this.resources.set(key, current);
      else this.resources.delete(key);
      this.index = new PolicyIndex([...this.resources.values()]);
    });
    void this.schedule();
  }

  /** Reads every resource again (changes may have been missed while another replica's messages could not reach this one). */
  reload(): void {
    this.round = this.round.then(async () => {
      const all = await this.store.list();
      this.resources.clear();
      for (const r of all) this.resources.set(refKey(r.kind, r.metadata.namespace, r.metadata.name), r);
      this.index = new PolicyIndex([...this.resources.values()]);
    });
    void this.schedule();
  }

  stop(): void {
    clearTimeout(this.scheduled);
  }

  /** The resources the compiler sees, arranged by target. */
  get policyIndex(): PolicyIndex {
    return this.index;
  }

  group(key: ServiceKey): ConfigGroup | undefined {
    return this.groups.get(key);
  }

  /**
   * Joins a proxy to its service's group and sends it the current snapshot unless it already runs it.
   * The group is not compiled for each proxy: it gets the group's snapshot at once, and the changes
   * pending (in a hello storm, thousands of proxies' endpoints) reach it with the next round. A group's
   * first proxy waits for a round (soon: its group has nothing to give yet).
   */
  async join(name: string, namespace: string, member: GroupMember): Promise<void> {
    const key = serviceKey(name, namespace);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { key, name, namespace, members: new Set() }));
    group.members.add(member);
    // A proxy may run a version from before this database existed (a fresh start, a restore): versions
    // issued from now on must still be higher than anything it has seen.
    const reported = member.reported?.version;
    if (reported !== undefined && reported > this.versionFloor) {
      await this.counter.atLeast(reported);
      this.versionFloor = Math.max(this.versionFloor, reported);
    }
    if (group.snapshot) deliver(group, member);
    else await this.schedule();
  }

  /** A proxy answered (ACK or NACK) the snapshot in flight to it: it gets the newest one if that differs. */
  answered(name: string, namespace: string, member: GroupMember): void {
    const group = this.groups.get(serviceKey(name, namespace));
    if (group?.members.has(member)) deliver(group, member);
  }

  leave(name: string, namespace: string, member: GroupMember): void {
    const key = serviceKey(name, namespace);
    const group = this.groups.get(key);
    if (!group) return;
    group.members.delete(member);
    if (group.members.size === 0) this.groups.delete(key);
  }

  /** Resolves after every change seen so far has been compiled and pushed. */
  async settled(): Promise<void> {
    while (this.scheduled) await new Promise((r) => setTimeout(r, this.coalesceMs));
    await this.round;
  }

  /**
   * Schedules a round over every group; resolves once it has run. Changes share a round: resource changes
   * (and first proxies of a group) within `coalesceMs`, endpoint changes as `endpointDebounce` says.
   */
  private schedule(cause: 'resources' | 'endpoints' = 'resources'): Promise<void> {
    const now = performance.now();
    if (!this.scheduledRound) {
      this.scheduledRound = new Promise<void>((resolve) => (this.resolveScheduled = resolve));
      this.due = { at: Infinity, since: now, urgent: false };
    }
    const at = cause === 'resources' ? now + this.coalesceMs : Math.min(this.due.since + this.endpointDebounce.maxMs, now + this.endpointDebounce.quietMs);
    // A resource change is never held back by endpoint changes; endpoint changes push the round later.
    if (cause === 'resources' ? at < this.due.at : !this.due.urgent) {
      this.due.at = at;
      this.due.urgent ||= cause === 'resources';
      clearTimeout(this.scheduled);
      this.scheduled = setTimeout(() => this.fire(), Math.max(0, at - now));
    }
    return this.scheduledRound;
  }

  private fire(): void {
    this.scheduled = undefined;
    const resolve = this.resolveScheduled;
    this.scheduledRound = undefined;
    this.resolveScheduled = undefined;
    this.round = this.round.then(() => this.refresh([...this.groups.values()]));
    resolve?.(this.round);
  }

  /**
   * Recompiles the given groups; those whose digest changed get one new version (one for the round).
   * Every member of the groups is then given its group's snapshot unless it has it (members that
   * joined since the last round get theirs here).
   */
  private async refresh(groups: ConfigGroup[]): Promise<void> {
    try {
      let changed = 0;
      let version: number | undefined;
      const round = new CompileRound(this.index, this.registry, this.gateway);
      for (const group of groups) {
        const body = compileSnapshot(group.name, group.namespace, this.index, this.registry, this.mesh, this.gateway, round);
        const bodyJson = JSON.stringify(body);
        const digest = digestOfJson(bodyJson);
        if (group.snapshot?.digest === digest) continue;
        // After a control-plane restart a proxy may already run exactly this config: keep its version.
        const adopted = group.snapshot
          ? undefined
          : [...group.members].map((m) => m.reported).find((r) => r?.digest === digest)?.version;
        if (adopted !== undefined) await this.counter.atLeast(adopted);
        const v = adopted ?? (version ??= await this.counter.next());
        const snapshot: Snapshot = { version: v, digest, createdAt: new Date().toISOString(), ...body };
        group.snapshot = snapshot;
        // JSON.stringify({ type: 'snapshot', snapshot }) without serializing the body a second time.
        const head = JSON.stringify({ type: 'snapshot', snapshot: { version: v, digest, createdAt: snapshot.createdAt } }).slice(0, -2);
        group.message = Buffer.from(`${head},${bodyJson.slice(1)}}`);
        changed++;
      }
      for (const group of groups) for (const member of group.members) deliver(group, member);
      if (changed > 0) this.emit('compiled', changed);
    } catch (err) {
      this.emit('error', err);
    }
  }
}

/** Pushes the group's snapshot to a member unless it has it already. */
function deliver(group: ConfigGroup, member: GroupMember): void {
  const { snapshot, message } = group;
  if (!snapshot || !message || member.sentVersion === snapshot.version || member.awaitingAck) return;
  member.sentVersion = snapshot.version;
  // Same content is not sent again, whatever its version: a proxy that moved from another replica runs
  // the same config under the version that replica gave it. "Same" is what it will run once it has
  // applied what it was sent since its hello, not what it ran at its hello: after a change, a rollback
  // to the hello's content must reach it.
  const runs = member.sentDigest ?? member.reported?.digest;
  if (runs === snapshot.digest) return;
  member.sentDigest = snapshot.digest;
  member.push(message, snapshot);
}

function refKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
