import { EventEmitter } from 'node:events';
import type { Resource, Snapshot } from '@trellis/shared';
import { serviceKey, type EndpointRegistry, type ServiceKey } from '../discovery/registry.ts';
import type { ResourceRef, ResourceStore } from '../store/resources.ts';
import { compileSnapshot, digestOf, type MeshSettings } from './compile.ts';
import { PolicyIndex } from './policy-index.ts';
import type { VersionCounter } from './version-counter.ts';
import { GatewayRouteTable } from '../gateway/route-table.ts';

/** The proxies of one service share one compiled snapshot. */
export interface ConfigGroup {
  key: ServiceKey;
  name: string;
  namespace: string;
  snapshot?: Snapshot;
  /** The snapshot message, serialized once for every proxy of the group. */
  message?: string;
  members: Set<GroupMember>;
}

export interface GroupMember {
  /** Sends a serialized snapshot message to the proxy. */
  push(message: string, snapshot: Snapshot): void;
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
  private scheduled: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  /** HTTPRoutes (Gateway API for the mesh), filled from Kubernetes in Kubernetes mode. */
  readonly gateway = new GatewayRouteTable();

  constructor(
    private readonly store: ResourceStore,
    private readonly registry: EndpointRegistry,
    private readonly counter: VersionCounter,
    private readonly mesh: MeshSettings,
    private readonly coalesceMs = 5,
  ) {
    super();
  }

  /** Loads every resource and starts following changes. */
  async start(): Promise<void> {
    for (const r of await this.store.list()) this.resources.set(refKey(r.kind, r.metadata.namespace, r.metadata.name), r);
    this.index = new PolicyIndex([...this.resources.values()]);
    this.store.on('change', (ref: ResourceRef, committed: Resource | null) => this.resourceChanged(ref, committed));
    this.registry.on('change', () => this.schedule());
    this.gateway.on('change', () => this.schedule());
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
    this.schedule();
  }

  /** Reads every resource again (changes may have been missed while another replica's messages could not reach this one). */
  reload(): void {
    this.round = this.round.then(async () => {
      const all = await this.store.list();
      this.resources.clear();
      for (const r of all) this.resources.set(refKey(r.kind, r.metadata.namespace, r.metadata.name), r);
      this.index = new PolicyIndex([...this.resources.values()]);
    });
    this.schedule();
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

  /** Joins a proxy to its service's group and sends it the current snapshot unless it already runs it. */
  async join(name: string, namespace: string, member: GroupMember): Promise<void> {
    const key = serviceKey(name, namespace);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { key, name, namespace, members: new Set() }));
    group.members.add(member);
    // A proxy may run a version from before this database existed (a fresh start, a restore): versions
    // issued from now on must still be higher than anything it has seen.
    const reported = member.reported?.version;
    if (reported !== undefined) await this.counter.atLeast(reported);
    await (this.round = this.round.then(() => this.refresh([group])));
    deliver(group, member);
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

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.round = this.round.then(() => this.refresh([...this.groups.values()]));
    }, this.coalesceMs);
  }

  /** Recompiles the given groups; those whose digest changed get one new version and are pushed. */
  private async refresh(groups: ConfigGroup[]): Promise<void> {
    try {
      const changed: { group: ConfigGroup; body: ReturnType<typeof compileSnapshot>; digest: string }[] = [];
      for (const group of groups) {
        const body = compileSnapshot(group.name, group.namespace, this.index, this.registry, this.mesh, this.gateway);
        const digest = digestOf(body);
        if (group.snapshot?.digest === digest) continue;
        changed.push({ group, body, digest });
      }
      if (changed.length === 0) return;
      let version: number | undefined;
      for (const { group, body, digest } of changed) {
        // After a control-plane restart a proxy may already run exactly this config: keep its version.
        const adopted = group.snapshot
          ? undefined
          : [...group.members].map((m) => m.reported).find((r) => r?.digest === digest)?.version;
        if (adopted !== undefined) await this.counter.atLeast(adopted);
        const v = adopted ?? (version ??= await this.counter.next());
        const snapshot: Snapshot = { version: v, digest, createdAt: new Date().toISOString(), ...body };
        group.snapshot = snapshot;
        group.message = JSON.stringify({ type: 'snapshot', snapshot });
        for (const member of group.members) deliver(group, member);
      }
      this.emit('compiled', changed.length);
    } catch (err) {
      this.emit('error', err);
    }
  }
}

/** Pushes the group's snapshot to a member unless it has it already. */
function deliver(group: ConfigGroup, member: GroupMember): void {
  const { snapshot, message } = group;
  if (!snapshot || !message || member.sentVersion === snapshot.version) return;
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
