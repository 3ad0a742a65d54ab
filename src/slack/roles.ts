/**
 * Who may do what. Operators run /backup and request restores; approvers approve or reject.
 * Membership = a configured list of user ids and/or a Slack user group (usergroups.users.list,
 * Tier 2, cached). A user must also be an active full member of the workspace (users.info):
 * guests, deactivated accounts and bots are never operators or approvers, whatever the lists say.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { BotError } from '../errors.ts';

export type Role = 'operator' | 'approver';

/** A group that decides a role could not be read, and what was last read of it is too old to trust. */
export class RolesUnavailableError extends BotError {
  constructor(role: Role, group: string) {
    super('roles_unavailable', `Cannot check the ${role} group <!subteam^${group}> right now (Slack's user group API is failing), and its last known members are too old to trust: try again in a few minutes.`);
  }
}

export interface Roles {
  has(user: string, role: Role): Promise<boolean>;
}

export interface RolesOptions {
  config: Pick<SlackConfig, 'operators' | 'operatorGroup' | 'approvers' | 'approverGroup'>;
  client: WebClient;
  logger: Logger;
  /** How long a group's member list and a user's status are trusted (default 5 min). */
  cacheMs?: number;
  /**
   * While the group API fails, how old the last member list read may be and still decide (default
   * 15 min): past that, a click is refused with a clear message rather than decided on who was a
   * member long ago (someone removed from the approver group meanwhile must not count).
   */
  maxStaleMs?: number;
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
  const maxStale = opts.maxStaleMs ?? 15 * 60_000;
  const lastGood = new Map<string, { members: Set<string>; at: number }>();

  const groupMembers = cachedLookup(ttl, async (group) => {
    const res = await opts.client.usergroups.users.list({ usergroup: group });
    return new Set(res.users ?? []);
  });

  const activeMember = cachedLookup(ttl, async (user) => {
    const res = await opts.client.users.info({ user });
    const u = res.user;
    return Boolean(u && !u.deleted && !u.is_bot && !u.is_restricted && !u.is_ultra_restricted);
  });

  async function inGroup(role: Role, group: string, user: string): Promise<boolean> {
    try {
      const members = await groupMembers(group);
      const known = lastGood.get(group);
      if (known?.members !== members) lastGood.set(group, { members, at: Date.now() });
      return members.has(user);
    } catch (err) {
      // The API is Tier 2 and can fail for a while: the last member list read decides, for a bounded
      // time only, and the log says so. Past that, refuse clearly (never guess).
      log.warn({ group, err: err instanceof Error ? err.message : String(err) }, 'user group lookup failed');
      const known = lastGood.get(group);
      if (known && Date.now() - known.at <= maxStale) return known.members.has(user);
      throw new RolesUnavailableError(role, group);
    }
  }

  return {
    async has(user, role) {
      const group = groups[role];
      const listed = lists[role].has(user) || (group !== undefined && (await inGroup(role, group, user)));
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
