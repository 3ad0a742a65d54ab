import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/parallel.ts';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick(n * 3);
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('throws the first failure only after every started call has ended, and starts no new one', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapLimit([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await tick(n === 1 ? 5 : 30);
      ended.push(n);
      if (n === 1) throw new Error('one failed');
      return n;
    });
    await expect(run).rejects.toThrow('one failed');
    expect(started).toEqual([1, 2]);
    expect(ended.sort()).toEqual([1, 2]);
  });

  it('returns [] for no items', async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
});
