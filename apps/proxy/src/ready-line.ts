import type { Workload } from './workload.ts';

/** What `trellis proxy` prints once listening: every bound port, so scripts and tests can find them. */
export function readyLine(workloads: readonly Workload[], adminPort: number, extra: Record<string, unknown> = {}): string {
  const list = workloads.map((w) => ({ service: w.options.service, namespace: w.options.namespace, instance: w.instance, ...w.ports }));
  const first = list[0];
  const ports = list.length === 1 && first ? { inbound: first.inbound, outbound: first.outbound } : {};
  return `trellis proxy ready ${JSON.stringify({ admin: adminPort, ...ports, workloads: list, ...extra })}`;
}
