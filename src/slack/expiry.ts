/**
 * Expires approval requests whose time has passed, even when nobody clicks: a cheap sweep
 * (one ZRANGEBYSCORE) every few seconds. The expire transition is atomic, so with several bot
 * processes each request is announced once.
 */
import type { SlackDeps } from './deps.ts';
import { errText } from './deps.ts';

/** Runs one sweep; returns the ids this call expired. */
export async function sweepExpired(deps: Pick<SlackDeps, 'approvals' | 'cards' | 'audit' | 'now'>): Promise<string[]> {
  const expired: string[] = [];
  for (const id of await deps.approvals.due(deps.now())) {
    const r = await deps.approvals.expire(id);
    if (r.kind !== 'expired') continue;
    expired.push(id);
    await deps.cards.refresh(id);
    const req = await deps.approvals.get(id);
    if (req) await deps.cards.notifyRequester(req);
    await deps.audit.append({ user: 'system', action: 'expire', request: id, outcome: 'expired', detail: req ? `${req.approvers.length} of ${req.required} approvals` : undefined });
  }
  return expired;
}

/** Starts the periodic sweep; the returned function stops it and waits for a running sweep. */
export function startExpirySweeper(deps: Pick<SlackDeps, 'approvals' | 'cards' | 'audit' | 'now' | 'logger'>, intervalMs: number): () => Promise<void> {
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    current = current.then(() => sweepExpired(deps)).catch((err: unknown) => deps.logger.warn({ err: errText(err) }, 'expiry sweep failed'));
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
