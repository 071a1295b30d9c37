import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** The young generation the proxy and the control plane let V8 grow to: two 4 MB semi-spaces. */
export const MAX_NEW_SPACE_BYTES = 8 * 1024 * 1024;

/** What the cap reads and sets in V8 (a test stands in for V8 deciding to shrink the young generation). */
export interface YoungGenerationControl {
  /** The young generation's size now, in bytes. */
  size(): number;
  /** Lets it grow (factor 2, V8's default) or not (1) at the next scavenges. */
  setGrowing(grow: boolean): void;
}

const V8_YOUNG_GENERATION: YoungGenerationControl = {
  size: () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  setGrowing: (grow) => v8.setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`),
};

/**
 * Caps V8's young generation at `maxBytes` for the life of the process.
 *
 * By default V8 grows the semi-spaces to 16 MB each under load and shrinks them only when the allocation
 * rate drops. For a proxy that is ~25 MB of RSS it has no use for: what a request allocates is dead
 * long before the next scavenge. At a steady 1,000 req/s the grow/shrink cycle also unmapped and
 * re-faulted young-generation pages all the time (~650 page faults per 1,000 requests instead of ~50,
 * each one expensive on a virtual machine). Smaller is not better either: 1 MB semi-spaces took ~7 %
 * of the CPU in scavenges at full load, 4 MB ones ~3 % (default 16 MB: ~1.6 %). Figures in
 * docs/PROXY.md (Performance). The control plane's is the same story: after its start and a hello storm
 * of 1,000 proxies its young generation held 32 MB with 2-6 MB in use (docs/BENCHMARKS.md, issue 15).
 *
 * --max-semi-space-size only works on the command line, which `node trellis.mjs proxy` (or
 * `control-plane`) does not control. The growth factor, though, is read at every scavenge: this turns
 * growth off at the cap (seen after a GC) and back on below it (seen by a timer every `recheckEveryMs`:
 * V8 shrinks the young generation when the process goes idle).
 */
export function capYoungGeneration(maxBytes = MAX_NEW_SPACE_BYTES, recheckEveryMs = 1000, young = V8_YOUNG_GENERATION): () => void {
  let growing = true;
  let recheck: NodeJS.Timeout | undefined;
  // Scavenges are only watched while the young generation may still grow. At the cap, which is where a
  // busy proxy stays, a GC observer would run at every scavenge (20 and more a second) to learn nothing:
  // a slow timer notices instead when V8 has shrunk it (idle) and growth may resume.
  const observer = new PerformanceObserver(() => check());
  const check = () => {
    const allow = young.size() < maxBytes;
    if (allow === growing) return;
    growing = allow;
    young.setGrowing(allow);
    if (allow) {
      clearInterval(recheck);
      recheck = undefined;
      observer.observe({ type: 'gc' });
    } else {
      observer.disconnect();
      recheck = setInterval(check, recheckEveryMs).unref();
    }
  };
  observer.observe({ type: 'gc' });
  check();
  return () => {
    observer.disconnect();
    clearInterval(recheck);
  };
}
