/**
 * The dead-man check: when no complete backup set is younger than 26 h, say so in the channel —
 * once per episode. The truth is the manifests on disk (they survive restarts, a Redis wipe and
 * lost jobs); Redis only remembers which episode was already announced.
 */
import type { Redis } from 'ioredis';
import { isComplete, listManifests } from '../backup/manifest.ts';
import { buildDeadmanAlert } from './blocks.ts';
import type { SlackChat } from '../report/poster.ts';

export const DEADMAN_MAX_AGE_MS = 26 * 3600_000;

export interface DeadmanDeps {
  redis: Redis;
  /** Key prefix (the queue prefix), so deployments and tests sharing a Redis stay apart. */
  prefix: string;
  backupRoot: string;
  slack: SlackChat | undefined;
  channel: string | undefined;
  oncallGroup: string | undefined;
  timeZone: string;
  maxAgeMs?: number;
  now?: () => Date;
}

export interface DeadmanResult {
  healthy: boolean;
  lastComplete: { label: string; finishedAt: string } | undefined;
  /** True when this check posted the alert (the first check of an episode). */
  alerted: boolean;
}

/**
 * Runs one check. An episode is identified by the last complete set's label (or "none"): the
 * atomic SET … GET lets exactly one of several concurrent checks post the alert.
 */
export async function checkDeadman(deps: DeadmanDeps): Promise<DeadmanResult> {
  const now = deps.now?.() ?? new Date();
  const maxAge = deps.maxAgeMs ?? DEADMAN_MAX_AGE_MS;
  const sets = await listManifests(deps.backupRoot);
  const newest = sets.find((s) => isComplete(s.manifest))?.manifest;
  const lastComplete = newest ? { label: newest.label, finishedAt: newest.finishedAt } : undefined;
  const key = `${deps.prefix}:deadman:alerted-episode`;
  if (lastComplete && now.getTime() - new Date(lastComplete.finishedAt).getTime() < maxAge) {
    await deps.redis.del(key);
    return { healthy: true, lastComplete, alerted: false };
  }
  const episode = lastComplete?.label ?? 'none';
  const previous = await deps.redis.set(key, episode, 'GET');
  if (previous === episode) return { healthy: false, lastComplete, alerted: false };
  if (!deps.slack || !deps.channel) return { healthy: false, lastComplete, alerted: false };
  const message = buildDeadmanAlert({ lastComplete, now: now.toISOString(), maxAgeMs: maxAge, oncallGroup: deps.oncallGroup, timeZone: deps.timeZone });
  try {
    await deps.slack.chat.postMessage({ channel: deps.channel, text: message.text, blocks: message.blocks });
  } catch (err) {
    // Not announced: forget the episode so the next check tries again.
    await deps.redis.del(key);
    throw err;
  }
  return { healthy: false, lastComplete, alerted: true };
}
