/**
 * Who may do what. Operators run /backup and request restores; approvers approve or reject.
 * Membership = a configured list of user ids and/or a Slack user group (usergroups.users.list,
 * Tier 2, cached). A user must also be an active full member of the workspace (users.info):
 * guests, deactivated accounts and bots are never operators or approvers, whatever the lists say.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config.ts';
import type { Logger } from '../log.ts';

export type Role = 'operator' | 'approver';

export interface Roles {
  has(user: string, role: Role): Promise<boolean>;
}

export interface RolesOptions {
  config: Pick<SlackConfig, 'operators' | 'operatorGroup' | 'approvers' | 'approverGroup'>;
  client: WebClient;
  logger: Logger;
  /** How long a group's member list and a user's status are trusted (default 5 min). */
  cacheMs?: number;
}

interface Cached<T> {
  value: T;
  at: number;
  pending?: Promise<T>;
}

/** Caches each lookup and shares one in-flight request between concurrent callers. */
function cachedLookup<T>(ttlMs: number, load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Cached<T>>();
  return async (k) => {
    const hit = cache.get(k);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    if (hit?.pending) return hit.pending;
    const pending = load(k);
    cache.set(k, { value: hit?.value as T, at: hit?.at ?? 0, pending });
    try {
      const value = await pending;
      cache.set(k, { value, at: Date.now() });
      return value;
    } catch (err) {
      if (hit) cache.set(k, hit);
      else cache.delete(k);
      throw err;
    }
  };
}

export function createRoles(opts: RolesOptions): Roles {
  const ttl = opts.cacheMs ?? 5 * 60_000;
  const log = opts.logger.child({ component: 'roles' });
  const lists: Record<Role, Set<string>> = {
    operator: new Set(opts.config.operators),
    approver: new Set(opts.config.approvers),
  };
  const groups: Record<Role, string | undefined> = { operator: opts.config.operatorGroup, approver: opts.config.approverGroup };
  const lastGood = new Map<string, Set<string>>();

  const groupMembers = cachedLookup(ttl, async (group) => {
    const res = await opts.client.usergroups.users.list({ usergroup: group });
    return new Set(res.users ?? []);
  });

  const activeMember = cachedLookup(ttl, async (user) => {
    const res = await opts.client.users.info({ user });
    const u = res.user;
    return Boolean(u && !u.deleted && !u.is_bot && !u.is_restricted && !u.is_ultra_restricted);
  });

  async function inGroup(group: string, user: string): Promise<boolean> {
    try {
      const members = await groupMembers(group);
      lastGood.set(group, members);
      return members.has(user);
    } catch (err) {
      // Free workspaces have no user groups and the API is Tier 2: fall back to the id list and
      // the last member list we saw, and say so in the log.
      log.warn({ group, err: err instanceof Error ? err.message : String(err) }, 'user group lookup failed');
      return lastGood.get(group)?.has(user) ?? false;
    }
  }

  return {
    async has(user, role) {
      const group = groups[role];
      const listed = lists[role].has(user) || (group !== undefined && (await inGroup(group, user)));
      if (!listed) return false;
      try {
        return await activeMember(user);
      } catch (err) {
        // Failing closed: a destructive action needs a known, active account.
        log.warn({ user, err: err instanceof Error ? err.message : String(err) }, 'user lookup failed');
        return false;
      }
    },
  };
}
