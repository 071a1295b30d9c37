import type { Snapshot } from '@trellis/shared';

/**
 * Snapshots already validated in this process, by the exact text of the message that carried them. The
 * control plane sends every proxy of a service the same bytes (compiled and encoded once per group), so
 * clients in one process that share a memo parse and validate each distinct message once. The config-push
 * bench's client processes use one for their simulated proxies: 10,000 proxies on two cores would otherwise
 * spend the bench's time parsing what, in a mesh, 10,000 machines parse side by side. (A node agent could
 * share one among its workloads; it does not, since they are rarely of one service.)
 *
 * A hit needs the whole text to be equal, so a client never takes a snapshot it was not sent. An entry is
 * frozen before it is shared: every client's `apply` gets the same object and must not change it (one
 * that tried would throw, and NACK, instead of corrupting the others' configuration).
 */
export class SnapshotMemo {
  private readonly entries = new Map<string, Snapshot>();

  /** `capacity`: distinct messages kept, the newest; a round of changes has one per service. */
  constructor(private readonly capacity = 256) {}

  get(text: string): Snapshot | undefined {
    return this.entries.get(text);
  }

  set(text: string, snapshot: Snapshot): Snapshot {
    const frozen = deepFreeze(snapshot);
    this.entries.delete(text);
    this.entries.set(text, frozen);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return frozen;
  }
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
