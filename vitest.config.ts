import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import cli from './apps/cli/vitest.config.ts';
import controlPlane from './apps/control-plane/vitest.config.ts';
import proxy from './apps/proxy/vitest.config.ts';
import web from './apps/web/vitest.config.ts';
import shared from './packages/shared/vitest.config.ts';
import streamClient from './packages/stream-client/vitest.config.ts';

/**
 * Test files whose assertions need the machine to themselves: rates and percentages measured over
 * seconds of real traffic, "within 1 s" deliveries, latency beside adversarial input, failures injected
 * under load. They run one at a time, after the rest. Everything else runs two files at a time, which
 * on a 2-core machine fills the time one file spends waiting for the processes and sockets it started.
 */
const ALONE: Record<string, string[]> = {
  'apps/proxy': [
    'test/failure-behaviour.test.ts',
    'test/rate-limit-global.test.ts',
    'test/rate-limit-local.test.ts',
    'test/regex-linear-time.test.ts',
    'test/snapshot-swap.test.ts',
    'test/outlier-detection.test.ts',
    'test/mtls-rotation.test.ts',
    'test/control-plane.test.ts',
    'test/drain.test.ts',
  ],
  'apps/cli': ['test/npm-start.test.ts', 'test/resource-delivery.test.ts', 'test/mesh-telemetry.test.ts'],
  'apps/control-plane': ['test/stream.test.ts', 'test/telemetry-stream.test.ts', 'test/replicas.test.ts', 'test/kubernetes-custom-resources.test.ts'],
};

const WORKSPACES = {
  'apps/cli': cli,
  'apps/control-plane': controlPlane,
  'apps/proxy': proxy,
  'apps/web': web,
  'packages/shared': shared,
  'packages/stream-client': streamClient,
};

// One vitest run over every workspace; each workspace's own vitest.config.ts names it and sets its
// timeouts (and, where tests start real processes, builds the trellis bundle first).
const projects: TestProjectInlineConfiguration[] = Object.entries(WORKSPACES).flatMap(([dir, config]) => {
  const alone = ALONE[dir] ?? [];
  const test = { ...config.test, root: dir };
  return [
    { test: { ...test, exclude: [...configDefaults.exclude, ...alone] } },
    ...(alone.length ? [{ test: { ...test, name: `${test.name} (alone)`, include: alone, maxWorkers: 1 } }] : []),
  ];
});

export default defineConfig({
  test: { projects, maxWorkers: 2 },
});
