/**
 * Approver membership through a Slack user group (the fake Web API, a real WebClient): while the
 * group API fails, the last member list decides for a bounded time only; then a click is refused
 * with a clear message, so someone removed from the group meanwhile does not count.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { createRoles, RolesUnavailableError } from '../../src/slack/roles.ts';

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('roles from a user group', () => {
  it('a failing group API: the last members decide for a bounded time, then a clear refusal', async () => {
    fake = await startFakeSlack({ botToken: 'xoxb-roles', users: [{ id: 'UBOB', name: 'bob' }], usergroups: { S0APPROVERS: ['UBOB'] } });
    const client = new WebClient('xoxb-roles', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    const roles = createRoles({ config: { operators: [], approvers: [], approverGroup: 'S0APPROVERS', operatorGroup: undefined }, client, logger: createLogger('silent'), cacheMs: 50, maxStaleMs: 1500 });
    expect(await roles.has('UBOB', 'approver')).toBe(true);

    fake.removeUsergroup('S0APPROVERS');
    await sleep(80);
    // Within the bound: the members read 0.1 s ago still decide.
    expect(await roles.has('UBOB', 'approver')).toBe(true);
    await sleep(1600);
    const err = await roles.has('UBOB', 'approver').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolesUnavailableError);
    expect((err as Error).message).toMatch(/Cannot check the approver group .* try again/);

    // The API answers again, without Bob: he no longer counts.
    fake.setUsergroup('S0APPROVERS', ['UCAROL']);
    await sleep(60);
    expect(await roles.has('UBOB', 'approver')).toBe(false);
  });
});
