/** The approval state machine on real Redis: policy and atomicity, without Slack. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalStore, type ApprovalStore, type NewApproval } from '../../src/restore/approval.ts';
import { testConfig } from '../helpers/env.ts';

let redis: Redis;
let t = 1_800_000_000_000;
let store: ApprovalStore;
const SHA = 'd'.repeat(64);

function input(over: Partial<NewApproval> = {}): NewApproval {
  return {
    label: '2026-11-25',
    manifestSha256: SHA,
    requestedBy: 'UREQUEST1',
    channel: 'C1',
    required: 2,
    allowSelf: false,
    expiryMs: 30 * 60_000,
    view: { setCreatedAt: '2026-11-25T00:00:00Z', location: 'local', bytes: 1, comparison: [] },
    ...over,
  };
}

beforeAll(() => {
  redis = new Redis(testConfig().redisUrl);
  store = createApprovalStore({ redis, prefix: `test:${randomBytes(6).toString('hex')}`, now: () => t });
});
afterAll(() => redis?.disconnect());

describe('approval store', () => {
  it('needs N distinct approvers and then refuses every further transition', async () => {
    const r = await store.create(input({ required: 3 }));
    expect(await store.approve(r.id, 'UAPPROVE1', SHA, '')).toEqual({ kind: 'recorded', approvers: ['UAPPROVE1'] });
    expect(await store.approve(r.id, 'UAPPROVE1', SHA, '')).toEqual({ kind: 'duplicate', approvers: ['UAPPROVE1'] });
    expect(await store.approve(r.id, 'UREQUEST1', SHA, '')).toEqual({ kind: 'self' });
    expect((await store.approve(r.id, 'UAPPROVE2', SHA, '')).kind).toBe('recorded');
    expect(await store.approve(r.id, 'UAPPROVE3', SHA, '')).toEqual({ kind: 'approved', approvers: ['UAPPROVE1', 'UAPPROVE2', 'UAPPROVE3'] });
    expect(await store.approve(r.id, 'UAPPROVE4', SHA, '')).toEqual({ kind: 'closed', status: 'approved' });
    expect(await store.reject(r.id, 'UAPPROVE4')).toEqual({ kind: 'closed', status: 'approved' });
    expect(await store.cancel(r.id, 'UREQUEST1')).toEqual({ kind: 'closed', status: 'approved' });
    expect((await store.get(r.id))?.status).toBe('approved');
  });

  it('counts the requester only when self-approval is allowed', async () => {
    const r = await store.create(input({ allowSelf: true }));
    expect((await store.approve(r.id, 'UREQUEST1', SHA, '')).kind).toBe('recorded');
    expect((await store.approve(r.id, 'UAPPROVE1', SHA, '')).kind).toBe('approved');
  });

  it('voids the request when the manifest checksum differs', async () => {
    const r = await store.create(input());
    expect((await store.approve(r.id, 'UAPPROVE1', 'e'.repeat(64), 'manifest changed')).kind).toBe('void');
    const after = await store.get(r.id);
    expect(after).toMatchObject({ status: 'void', reason: 'manifest changed' });
  });

  it('expires exactly once, and reports due requests', async () => {
    const r = await store.create(input({ expiryMs: 1000 }));
    expect(await store.due(t)).not.toContain(r.id);
    t += 1000;
    expect(await store.due(t)).toContain(r.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.expire(r.id)));
    expect(results.filter((x) => x.kind === 'expired')).toHaveLength(1);
    expect(await store.due(t)).not.toContain(r.id);
    expect(await store.approve(r.id, 'UAPPROVE1', SHA, '')).toEqual({ kind: 'closed', status: 'expired' });
  });

  it('200 concurrent approvals from 10 approvers: exactly one caller sees approved', async () => {
    const r = await store.create(input({ required: 5 }));
    const users = Array.from({ length: 10 }, (_, i) => `UAPPR${String(i).padStart(4, '0')}`);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.approve(r.id, users[i % 10]!, SHA, '')));
    expect(results.filter((x) => x.kind === 'approved')).toHaveLength(1);
    const final = await store.get(r.id);
    expect(final?.approvers).toHaveLength(5);
    expect(new Set(final?.approvers).size).toBe(5);
  });

  it('refuses values that are not Slack user ids', async () => {
    const r = await store.create(input());
    await expect(store.approve(r.id, 'U1,U2', SHA, '')).rejects.toThrow('not a Slack user id');
  });
});
