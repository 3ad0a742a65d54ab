/** The receiver's replay guard: a signature is accepted once while its timestamp can still pass the window. */
import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/slack/replay-guard.ts';
import { MAX_SKEW_SECONDS } from '../../src/slack/signature.ts';

describe('ReplayGuard', () => {
  it('refuses a signature seen before for as long as its timestamp is inside the window', () => {
    const g = new ReplayGuard();
    const ts = 1_800_000_000;
    expect(g.firstTime('v0=aa', ts, ts * 1000)).toBe(true);
    expect(g.firstTime('v0=aa', ts, ts * 1000 + 1)).toBe(false);
    expect(g.firstTime('v0=bb', ts, ts * 1000 + 2)).toBe(true);
    // Still remembered at the last second the timestamp check would let it through.
    expect(g.firstTime('v0=aa', ts, (ts + MAX_SKEW_SECONDS) * 1000)).toBe(false);
    // Forgotten only well after the timestamp check refuses it anyway.
    expect(g.firstTime('v0=aa', ts, (ts + MAX_SKEW_SECONDS + 61) * 1000)).toBe(true);
  });

  it('remembers a future-dated signature until its own timestamp leaves the window', () => {
    const g = new ReplayGuard();
    const now = 1_800_000_000;
    const ts = now + MAX_SKEW_SECONDS;
    expect(g.firstTime('v0=cc', ts, now * 1000)).toBe(true);
    expect(g.firstTime('v0=cc', ts, (now + 2 * MAX_SKEW_SECONDS) * 1000)).toBe(false);
  });
});
