/** Runs tasks on a shared timer; `every` returns the function that takes the task off again. */
export interface Ticker {
  every(ms: number, task: () => void): () => void;
}

/**
 * One timer per period for the whole process, shared by every workload: a node agent's periodic work
 * (telemetry reports, span batches, app probes, stream heartbeats, HTTP connection checks) wakes the
 * event loop once per period, not once per workload per period. Each workload used to have about six
 * timers of its own, started at different moments, so an idle agent at N = 300 woke ~2,000 times a second.
 * A period's timer stops when its last task leaves and does not keep the process alive.
 */
export class Ticks implements Ticker {
  private readonly periods = new Map<number, { timer: NodeJS.Timeout; tasks: Set<() => void> }>();

  every(ms: number, task: () => void): () => void {
    let period = this.periods.get(ms);
    if (!period) {
      const tasks = new Set<() => void>();
      const timer = setInterval(() => {
        for (const t of tasks) t();
      }, ms);
      timer.unref();
      period = { timer, tasks };
      this.periods.set(ms, period);
    }
    // A wrapper per call: the same function added twice is two tasks, each removed by its own handle.
    const own = () => task();
    period.tasks.add(own);
    const current = period;
    return () => {
      if (!current.tasks.delete(own) || current.tasks.size > 0) return;
      clearInterval(current.timer);
      if (this.periods.get(ms) === current) this.periods.delete(ms);
    };
  }
}

/** The process's ticks (one per process: a sidecar, a node agent, each --workers process). */
export const ticks = new Ticks();
