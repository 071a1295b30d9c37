import v8 from 'node:v8';
import { expect, test } from 'vitest';
import { capYoungGeneration } from '../src/node/young-generation.ts';

// The cap is set from inside the process (the growth factor is read at each scavenge); this checks it
// holds under a proxy-like load: many short tasks that each allocate and drop a little.

const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

test('the young generation stops growing at the cap, however much short-lived garbage there is', async () => {
  // The test process may have grown its young generation already (the cap does not shrink it): cap it
  // where it stands, unless that is V8's maximum, and check it grows no further.
  const start = newSpace();
  const cap = Math.max(2 * 1024 * 1024, start);
  expect(cap).toBeLessThan(32 * 1024 * 1024);
  const stop = capYoungGeneration(cap);
  try {
    const survivors: unknown[] = [];
    for (let task = 0; task < 3000; task++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 0; i < 1000; i++) {
        const o = { i, text: `request ${i}`, headers: [i, i + 1] };
        if (i % 100 === 0) survivors.push(o);
      }
      if (survivors.length > 1000) survivors.length = 0;
    }
    expect(newSpace()).toBeLessThanOrEqual(cap);
  } finally {
    stop();
    v8.setFlagsFromString('--semi-space-growth-factor=2');
  }
});

test('growth resumes once V8 has shrunk the young generation below the cap, and stops again at the cap', async () => {
  // V8 shrinks the young generation only when it judges the process idle, which a test cannot bring
  // about: the size is stood in for here, the GCs that report it are real.
  let size = 8;
  const growing: boolean[] = [];
  const stop = capYoungGeneration(8, 20, { size: () => size, setGrowing: (grow) => growing.push(grow) });
  try {
    expect(growing).toEqual([false]); // at the cap from the start
    size = 4; // shrunk while idle
    await expect.poll(() => growing, { timeout: 2000, interval: 10 }).toEqual([false, true]);
    size = 8; // grown back under load: seen at the next scavenge
    const garbage: unknown[] = [];
    await expect
      .poll(
        () => {
          for (let i = 0; i < 200_000; i++) garbage[i % 1000] = { i, text: `request ${i}` };
          return growing;
        },
        { timeout: 5000, interval: 10 },
      )
      .toEqual([false, true, false]);
  } finally {
    stop();
  }
});
