// The upstream every target forwards to: nginx with one worker answering a fixed 64-byte body from
// memory. It shares the load core with wrk/h2load, so it must cost as little per request as possible;
// nginx's `return 200` costs a fraction of a Node server's per request, which keeps the proxy under test
// (alone on its core) the bottleneck.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, start, waitForPort } from './processes.mjs';
import { upstreamConfig } from './nginx-configs.mjs';

/** Starts the upstream on `core`; resolves with its port and process. */
export async function startUpstream({ dir, core }) {
  const own = path.join(dir, 'upstream');
  mkdirSync(own, { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(own, 'nginx.conf'), upstreamConfig({ dir: own, port }));
  const child = start('nginx', ['-p', own, '-e', path.join(own, 'error.log'), '-c', path.join(own, 'nginx.conf')], {
    core,
    logFile: path.join(own, 'stdout.log'),
  });
  await waitForPort(port, 10_000, child);
  return { port, child };
}
