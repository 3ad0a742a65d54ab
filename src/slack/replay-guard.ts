/**
 * Refuses a signed Slack request seen before. The signature window (±5 minutes) alone lets anyone
 * who captured a request send it again within that window; Slack signs every delivery anew (a
 * retry carries a new timestamp), so a signature seen twice is a replay. Each signature is kept
 * until its timestamp leaves the window, after which the timestamp check refuses it anyway.
 */
import { MAX_SKEW_SECONDS } from './signature.ts';

/** Bound on remembered signatures: far above what Slack sends one app in ten minutes. */
const MAX_ENTRIES = 100_000;

export class ReplayGuard {
  readonly #seen = new Map<string, number>();

  /** True the first time `signature` (with its `timestamp`, unix seconds) is offered; false after. */
  firstTime(signature: string, timestamp: number, nowMs: number): boolean {
    this.#prune(nowMs);
    if (this.#seen.has(signature)) return false;
    if (this.#seen.size >= MAX_ENTRIES) {
      // Full: forget the oldest (Map keeps insertion order).
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(signature, (timestamp + MAX_SKEW_SECONDS + 60) * 1000);
    return true;
  }

  #prune(nowMs: number): void {
    // Insertion order is (nearly) expiry order: stop at the first live entry, so a request costs
    // O(expired) instead of a scan of everything remembered. A few expired entries left behind
    // are harmless: the timestamp check refuses those signatures anyway.
    for (const [sig, until] of this.#seen) {
      if (until > nowMs) break;
      this.#seen.delete(sig);
    }
  }
}
