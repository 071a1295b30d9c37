import v8 from 'node:v8';

/** How far a node agent lets V8's old generation grow past what survived the last major GC. */
export const NODE_AGENT_HEAP_GROWING_PERCENT = 30;

/**
 * Makes V8 collect the old generation once it has grown `percent` past the live size, instead of the
 * 1.1x-4x V8 picks (4x when collections are cheap, as they are for a proxy). Requests promote garbage
 * (spans waiting to be sent, requests that outlive two scavenges), and a node agent at N = 100 and 1,000
 * req/s let its heap reach 141 MB for 32 MB live: heap total 109-114 MB against 65-67 MB at 30 % (the
 * agent's RSS 216-220 MB against 162-166 MB), for 2-5 % of a core more in major GCs (docs/BENCHMARKS.md).
 * 10 % saved no more. The flag is read at every collection, so it takes effect when set in the process.
 */
export function limitHeapGrowth(percent = NODE_AGENT_HEAP_GROWING_PERCENT): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
