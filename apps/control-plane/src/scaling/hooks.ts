import { spawn } from 'node:child_process';
import type { ScaleHook } from './scaler.ts';

/** A scale hook call that takes longer than this fails (the workload may still come up; proxies ask again). */
export const HOOK_TIMEOUT_MS = 60_000;

/**
 * Outside Kubernetes: POSTs `{service, namespace, replicas}` (JSON) to `url`; any 2xx answer means done.
 * What `trellis up`'s demo supervisor serves to start and stop its function-like service.
 */
export function httpScaleHook(url: string): ScaleHook {
  return async ({ service, namespace, replicas }) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service, namespace, replicas }),
      signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
    });
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new Error(`the scale hook ${url} answered ${res.status}${text ? `: ${text.trim().slice(0, 300)}` : ''}`);
  };
}

/**
 * Outside Kubernetes: runs `command` through the shell with the service, namespace and replicas as its
 * last three arguments (`./scale.sh` runs `./scale.sh reports default 1`); exit 0 means done. The three are
 * a DNS label, a DNS label and a number, checked before they get here, so they need no quoting.
 */
export function commandScaleHook(command: string): ScaleHook {
  return ({ service, namespace, replicas }) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(`${command} ${service} ${namespace} ${replicas}`, {
        shell: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: HOOK_TIMEOUT_MS,
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`the scale command exited ${signal ?? code}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
      });
    });
}
