/**
 * The restore approval state machine, kept in Redis.
 *
 *   pending ──approve (N distinct approvers)──▶ approved   (the one transition that enqueues)
 *   pending ──reject (any approver)──────────▶ rejected
 *   pending ──cancel (the requester)─────────▶ cancelled
 *   pending ──time passes─────────────────────▶ expired
 *   pending ──set's manifest changed─────────▶ void
 *
 * Every transition is one Lua script (approval-scripts.ts), so simultaneous clicks are ordered by
 * Redis and exactly one caller ever sees `approved`. An approval is bound to the request id AND
 * the manifest sha256 the card was shown for.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { FileIdentity } from '../backup/identity.ts';
import type { StoreName } from '../stores/types.ts';
import { APPROVE, CANCEL, EXPIRE, REJECT, runScript } from './approval-scripts.ts';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'expired' | 'void';

/** What the card shows besides the state: kept with the request so the card can be redrawn. */
export const approvalViewSchema = z.object({
  setCreatedAt: z.string(),
  location: z.enum(['local', 'remote', 'both']),
  bytes: z.number(),
  comparison: z.array(z.object({ store: z.string(), current: z.number().optional(), inSet: z.number() })),
  /** Configured stores the set holds nothing of (a v1.8 set on v1.9: postgres): left as they are. */
  untouched: z.array(z.string()).optional(),
  /** What the configuration leaves out on purpose (ES_BACKUP=none: rebuilt by the reindex). */
  notes: z.array(z.string()).optional(),
  /** The stack the restore stops (quiesce) from its first restore step until the redeploy; absent = not stopped. */
  stopsStack: z.string().optional(),
  /** A restore to a moment: PostgreSQL to `at` (ISO) from a base backup and WAL; the rest from the set. */
  pitr: z
    .object({ at: z.string(), shown: z.string(), base: z.string(), baseConsistentAt: z.string(), walFrom: z.string(), walTo: z.string(), stream: z.string() })
    .optional(),
});
export type ApprovalView = z.infer<typeof approvalViewSchema>;

export interface ApprovalRequest {
  id: string;
  label: string;
  manifestSha256: string;
  requestedBy: string;
  stores: StoreName[] | undefined;
  /** Where the card is (set once posted). */
  channel: string;
  ts: string | undefined;
  createdAt: number;
  expiresAt: number;
  required: number;
  allowSelf: boolean;
  status: ApprovalStatus;
  approvers: string[];
  decidedBy: string | undefined;
  decidedAt: number | undefined;
  reason: string | undefined;
  view: ApprovalView;
  /**
   * The set's files as the request's full verification read them (size, mtime, sha256): each
   * click compares sizes and mtimes instead of reading the set again. Undefined for a request
   * made before they were recorded (its clicks verify the set in full, as then).
   */
  files?: FileIdentity[];
}

export type ApproveResult =
  | { kind: 'approved' | 'recorded' | 'duplicate'; approvers: string[] }
  | { kind: 'self' | 'void' | 'expired' | 'missing' }
  | { kind: 'closed'; status: ApprovalStatus };

export type SimpleResult =
  | { kind: 'rejected' | 'cancelled' | 'expired' | 'missing' | 'not_requester' | 'pending' }
  | { kind: 'closed'; status: ApprovalStatus };

export interface NewApproval {
  label: string;
  manifestSha256: string;
  requestedBy: string;
  channel: string;
  stores?: StoreName[];
  required: number;
  allowSelf: boolean;
  expiryMs: number;
  view: ApprovalView;
  files?: FileIdentity[];
}

/** Operations on approval requests. All transitions are atomic. */
export interface ApprovalStore {
  create(input: NewApproval): Promise<ApprovalRequest>;
  setCard(id: string, channel: string, ts: string): Promise<void>;
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** `currentSha256` is the set's manifest checksum now ('' when the set is no longer valid). */
  approve(id: string, user: string, currentSha256: string, voidReason: string): Promise<ApproveResult>;
  reject(id: string, user: string): Promise<SimpleResult>;
  cancel(id: string, user: string): Promise<SimpleResult>;
  /** Expires the request if its time has passed; `expired` is returned to exactly one caller. */
  expire(id: string): Promise<SimpleResult>;
  /** Ids of pending requests whose expiry is at or before `now`. */
  due(now?: number): Promise<string[]>;
  /**
   * An approved request whose restore could not be queued: void, with the reason, so the card no
   * longer says "queued". Only an `approved` request changes; returns whether it did.
   */
  notQueued(id: string, reason: string): Promise<boolean>;
}

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'cancelled', 'expired', 'void'];
/** Decided requests stay readable this long (for the card and the audit trail). */
const KEEP_SECONDS = 30 * 24 * 3600;

const hashSchema = z.object({
  id: z.string(),
  label: z.string(),
  manifestSha256: z.string(),
  requestedBy: z.string(),
  stores: z.string(),
  channel: z.string(),
  ts: z.string().optional(),
  createdAt: z.coerce.number(),
  expiresAt: z.coerce.number(),
  required: z.coerce.number(),
  allowSelf: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'cancelled', 'expired', 'void']),
  approvers: z.string(),
  decidedBy: z.string().optional(),
  decidedAt: z.coerce.number().optional(),
  reason: z.string().optional(),
  view: z.string(),
  files: z.string().optional(),
});

const filesSchema = z.array(z.object({ path: z.string(), bytes: z.number(), mtimeMs: z.number(), sha256: z.string() }));

/** Slack user ids: the only values that may go into the comma-separated approver list. */
export const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

function asStatus(s: string | undefined): ApprovalStatus {
  return STATUSES.find((x) => x === s) ?? 'void';
}

/** A new request id: also the restore job id, so it must be unique and free of ':'. */
export function newRequestId(label: string): string {
  const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40);
  return `restore-${safe}-${randomBytes(5).toString('hex')}`;
}

/** The store on a given Redis; `prefix` separates deployments (and tests). */
export function createApprovalStore(opts: { redis: Redis; prefix?: string; now?: () => number }): ApprovalStore {
  const { redis } = opts;
  const prefix = opts.prefix ?? 'crvs:restore';
  const now = opts.now ?? Date.now;
  const key = (id: string): string => `${prefix}:request:${id}`;
  const pendingKey = `${prefix}:pending`;
  const keys = (id: string): string[] => [key(id), pendingKey];

  function checkUser(user: string): void {
    if (!USER_ID.test(user)) throw new Error(`not a Slack user id: ${user}`);
  }

  async function get(id: string): Promise<ApprovalRequest | undefined> {
    const raw = await redis.hgetall(key(id));
    if (Object.keys(raw).length === 0) return undefined;
    const h = hashSchema.parse(raw);
    const stores = h.stores === '' ? undefined : (h.stores.split(',') as StoreName[]);
    return {
      id: h.id,
      label: h.label,
      manifestSha256: h.manifestSha256,
      requestedBy: h.requestedBy,
      stores,
      channel: h.channel,
      ts: h.ts,
      createdAt: h.createdAt,
      expiresAt: h.expiresAt,
      required: h.required,
      allowSelf: h.allowSelf === '1',
      status: h.status,
      approvers: h.approvers === '' ? [] : h.approvers.split(','),
      decidedBy: h.decidedBy,
      decidedAt: h.decidedAt,
      reason: h.reason,
      view: approvalViewSchema.parse(JSON.parse(h.view)),
      files: h.files === undefined ? undefined : filesSchema.parse(JSON.parse(h.files)),
    };
  }

  function simple(r: string[]): SimpleResult {
    const [kind, status] = r;
    if (kind === 'closed') return { kind: 'closed', status: asStatus(status) };
    if (kind === 'rejected' || kind === 'cancelled' || kind === 'expired' || kind === 'missing' || kind === 'not_requester' || kind === 'pending') return { kind };
    throw new Error(`unexpected approval script reply: ${kind}`);
  }

  return {
    get,
    async create(input) {
      checkUser(input.requestedBy);
      const createdAt = now();
      const request: ApprovalRequest = {
        id: newRequestId(input.label),
        label: input.label,
        manifestSha256: input.manifestSha256,
        requestedBy: input.requestedBy,
        stores: input.stores,
        channel: input.channel,
        ts: undefined,
        createdAt,
        expiresAt: createdAt + input.expiryMs,
        required: input.required,
        allowSelf: input.allowSelf,
        status: 'pending',
        approvers: [],
        decidedBy: undefined,
        decidedAt: undefined,
        reason: undefined,
        view: input.view,
        files: input.files,
      };
      await redis
        .multi()
        .hset(key(request.id), {
          id: request.id,
          label: request.label,
          manifestSha256: request.manifestSha256,
          requestedBy: request.requestedBy,
          stores: (request.stores ?? []).join(','),
          channel: request.channel,
          createdAt: String(createdAt),
          expiresAt: String(request.expiresAt),
          required: String(request.required),
          allowSelf: request.allowSelf ? '1' : '0',
          status: 'pending',
          approvers: '',
          view: JSON.stringify(request.view),
          ...(request.files ? { files: JSON.stringify(request.files) } : {}),
        })
        .expire(key(request.id), KEEP_SECONDS)
        .zadd(pendingKey, request.expiresAt, request.id)
        .exec();
      return request;
    },
    async setCard(id, channel, ts) {
      await redis.hset(key(id), { channel, ts });
    },
    async approve(id, user, currentSha256, voidReason) {
      checkUser(user);
      const r = await runScript(redis, APPROVE, keys(id), [String(now()), user, currentSha256, voidReason]);
      const [kind, extra] = r;
      const approvers = extra ? extra.split(',') : [];
      switch (kind) {
        case 'approved':
        case 'recorded':
        case 'duplicate':
          return { kind, approvers };
        case 'self':
        case 'void':
        case 'expired':
        case 'missing':
          return { kind };
        case 'closed':
          return { kind, status: asStatus(extra) };
        default:
          throw new Error(`unexpected approval script reply: ${kind}`);
      }
    },
    async reject(id, user) {
      checkUser(user);
      return simple(await runScript(redis, REJECT, keys(id), [String(now()), user]));
    },
    async cancel(id, user) {
      checkUser(user);
      return simple(await runScript(redis, CANCEL, keys(id), [String(now()), user]));
    },
    async expire(id) {
      return simple(await runScript(redis, EXPIRE, keys(id), [String(now())]));
    },
    async due(at = now()) {
      return redis.zrangebyscore(pendingKey, '-inf', String(at));
    },
    async notQueued(id, reason) {
      const changed = await redis.eval(
        "if redis.call('HGET', KEYS[1], 'status') ~= 'approved' then return 0 end redis.call('HSET', KEYS[1], 'status', 'void', 'reason', ARGV[1]) return 1",
        1,
        key(id),
        reason.slice(0, 500),
      );
      return changed === 1;
    },
  };
}
