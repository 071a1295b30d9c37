// Builds the trellis command once before any test starts a process from it.
// @ts-expect-error plain JavaScript module
import { ensureBuilt } from '../apps/cli/bin/build.mjs';

export default async function setup(): Promise<void> {
  await (ensureBuilt as () => Promise<string>)();
}
