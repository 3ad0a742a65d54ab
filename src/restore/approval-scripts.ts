/**
 * Lua scripts for the approval state machine. Each runs atomically inside Redis, so any number of
 * simultaneous clicks see one consistent order: exactly one of them can move a request from
 * `pending` to `approved`. Approvers are kept as a comma-separated list (Slack user ids never
 * contain commas; callers check the id format first).
 *
 * KEYS[1] = request hash, KEYS[2] = zset of pending ids scored by expiry.
 * Every script first expires a pending request whose time has passed.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const PRELUDE = `
local h = KEYS[1]
if redis.call('EXISTS', h) == 0 then return {'missing'} end
local status = redis.call('HGET', h, 'status')
local id = redis.call('HGET', h, 'id')
local now = ARGV[1]
local function close(to, by, reason)
  redis.call('HSET', h, 'status', to, 'decidedBy', by, 'decidedAt', now, 'reason', reason)
  redis.call('ZREM', KEYS[2], id)
end
if status ~= 'pending' then return {'closed', status} end
if tonumber(now) >= tonumber(redis.call('HGET', h, 'expiresAt')) then
  close('expired', 'system', 'expired')
  return {'expired'}
end
`;

/** ARGV: now, user, currentSha256 ('' when the set is no longer valid), reason when void. */
export const APPROVE = `${PRELUDE}
local user = ARGV[2]
if ARGV[3] ~= redis.call('HGET', h, 'manifestSha256') then
  close('void', user, ARGV[4])
  return {'void'}
end
if user == redis.call('HGET', h, 'requestedBy') and redis.call('HGET', h, 'allowSelf') ~= '1' then
  return {'self'}
end
local approvers = redis.call('HGET', h, 'approvers')
if string.find(',' .. approvers .. ',', ',' .. user .. ',', 1, true) then return {'duplicate', approvers} end
if approvers == '' then approvers = user else approvers = approvers .. ',' .. user end
redis.call('HSET', h, 'approvers', approvers)
local count = 0
for _ in string.gmatch(approvers, '[^,]+') do count = count + 1 end
if count >= tonumber(redis.call('HGET', h, 'required')) then
  close('approved', user, 'approved')
  return {'approved', approvers}
end
return {'recorded', approvers}
`;

/** ARGV: now, user. */
export const REJECT = `${PRELUDE}
close('rejected', ARGV[2], 'rejected')
return {'rejected'}
`;

/** ARGV: now, user. Only the requester may cancel. */
export const CANCEL = `${PRELUDE}
if ARGV[2] ~= redis.call('HGET', h, 'requestedBy') then return {'not_requester'} end
close('cancelled', ARGV[2], 'cancelled')
return {'cancelled'}
`;

/** ARGV: now. Expires the request if its time has passed (done by the prelude). */
export const EXPIRE = `${PRELUDE}
return {'pending'}
`;

/** Runs a script by its sha, loading it once per connection when Redis does not know it. */
export async function runScript(redis: Redis, script: string, keys: string[], args: string[]): Promise<string[]> {
  const sha = createHash('sha1').update(script).digest('hex');
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as string[];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
    return (await redis.eval(script, keys.length, ...keys, ...args)) as string[];
  }
}
