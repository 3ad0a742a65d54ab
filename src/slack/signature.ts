/**
 * Strict verification of Slack request signatures (HTTP mode). Stricter than Bolt's own check:
 * a timestamp more than five minutes away from local time is refused in EITHER direction, so a
 * request signed "in the future" cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Largest accepted distance between the request's timestamp and local time. */
export const MAX_SKEW_SECONDS = 5 * 60;

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'future_timestamp' | 'bad_version' | 'mismatch' };

/** The v0 signature Slack computes over `v0:{timestamp}:{raw body}`. */
export function computeSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/** Checks headers and raw body; `nowMs` is injectable for tests. */
export function verifySignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  nowMs: number = Date.now(),
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const skew = Number(timestamp) - Math.floor(nowMs / 1000);
  if (skew < -MAX_SKEW_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  if (skew > MAX_SKEW_SECONDS) return { ok: false, reason: 'future_timestamp' };
  if (!signature.startsWith('v0=')) return { ok: false, reason: 'bad_version' };
  const expected = Buffer.from(computeSignature(secret, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a length difference reveals nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}
