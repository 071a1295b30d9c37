import { performance } from 'node:perf_hooks';

/** Something with a deadline in a DeadlineQueue: the queue links the items through these fields. */
export interface Timed {
  /** performance.now() ms when it expires; written by the queue. */
  deadlineAt: number;
  previousTimed: Timed | undefined;
  nextTimed: Timed | undefined;
  /** Called once when the deadline passes while the item is still queued. */
  expire(): void;
}

/**
 * Deadlines of one length (a route's per-try timeout), kept with one timer for all of them instead of a
 * Node timer per attempt. Items of one length expire in the order they were added, so the queue is a
 * linked list through the items themselves: adding and removing allocate nothing and start no timer.
 * The timer is armed for the oldest deadline; when it fires it expires what is due and arms itself for
 * the next. An item removed early (its answer came) leaves the timer alone: it fires, finds nothing due,
 * and sleeps until the next deadline.
 */
export class DeadlineQueue {
  private head: Timed | undefined = undefined;
  private tail: Timed | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(readonly ms: number) {}

  /** Queues `item` to expire `ms` after `now` (performance.now()). */
  add(item: Timed, now: number): void {
    item.deadlineAt = now + this.ms;
    item.previousTimed = this.tail;
    item.nextTimed = undefined;
    if (this.tail) this.tail.nextTimed = item;
    else this.head = item;
    this.tail = item;
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** Takes `item` out of the queue (it no longer needs its deadline). Harmless when it is not queued. */
  remove(item: Timed): void {
    const { previousTimed: previous, nextTimed: next } = item;
    if (previous) previous.nextTimed = next;
    else if (this.head === item) this.head = next;
    else return;
    if (next) next.previousTimed = previous;
    else this.tail = previous;
    item.previousTimed = undefined;
    item.nextTimed = undefined;
  }

  private arm(ms: number): void {
    // Unref'd: an attempt in flight keeps the process alive through its connection, not through this timer.
    this.timer = setTimeout(DeadlineQueue.fire, ms, this);
    this.timer.unref();
  }

  /** The timer's callback: one function for every queue rather than a closure each. */
  private static fire(this: void, queue: DeadlineQueue): void {
    const now = performance.now();
    let item = queue.head;
    while (item !== undefined && item.deadlineAt <= now) {
      queue.remove(item);
      item.expire();
      item = queue.head;
    }
    // Cleared only now, so that an item added while expiring others does not arm a second timer.
    queue.timer = undefined;
    if (item !== undefined) queue.arm(Math.max(1, Math.ceil(item.deadlineAt - now)));
  }
}

const queues = new Map<number, DeadlineQueue>();

/** The queue of deadlines `ms` long, shared by every attempt with that per-try timeout. */
export function deadlinesOf(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (!queue) queues.set(ms, (queue = new DeadlineQueue(ms)));
  return queue;
}
