import type { Snapshot } from '@trellis/shared';
import { compileMatch } from './match.ts';

/**
 * Checks what the schema cannot: things that would make the snapshot unusable by this proxy. Runs
 * before anything is changed, so a refused snapshot (NACK) leaves the running one untouched.
 */
export function validateSnapshot(snapshot: Snapshot, self: { name: string; namespace: string }): void {
  const problems: string[] = [];
  if (snapshot.service.name !== self.name || snapshot.service.namespace !== self.namespace) {
    problems.push(`snapshot is for ${snapshot.service.name}.${snapshot.service.namespace}, this proxy serves ${self.name}.${self.namespace}`);
  }
  const hosts = new Map<string, string>();
  for (const s of snapshot.outbound.services) {
    const key = `${s.name}.${s.namespace}`;
    for (const host of s.hostnames) {
      const other = hosts.get(host.toLowerCase());
      if (other && other !== key) problems.push(`hostname "${host}" names both ${other} and ${key}`);
      hosts.set(host.toLowerCase(), key);
    }
  }
  const matches = [...snapshot.inbound.routes, ...snapshot.outbound.services.flatMap((s) => s.routes)];
  for (const route of matches) {
    try {
      compileMatch(route.match);
    } catch (err) {
      problems.push(`route ${route.name}: ${(err as Error).message}`);
    }
  }
  for (const route of snapshot.inbound.routes) {
    const limit = route.policies.rateLimit;
    if (limit?.mode !== 'Global') continue;
    if (!snapshot.mesh.redisUrl) problems.push(`route ${route.name}: rate limit ${limit.id} is Global but mesh.redisUrl is not set`);
    else {
      const problem = redisUrlProblem(snapshot.mesh.redisUrl);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/** Why `url` cannot name a Redis (undefined when it can): the primary of --workers N refuses what its workers would. */
export function redisUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `mesh.redisUrl "${url}" is not a URL`;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return `mesh.redisUrl "${url}" must start with redis:// or rediss://`;
  return undefined;
}
