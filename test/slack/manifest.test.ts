/** manifest.yml is the single source of commands and scopes: it must match the listeners. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardWhere, click, requestRestore } from './helpers/restore-flow.ts';

const manifestSchema = z.object({
  display_information: z.object({ name: z.string().min(1) }),
  features: z.object({
    bot_user: z.object({ display_name: z.string().min(1) }),
    slash_commands: z.array(z.object({ command: z.string(), description: z.string().min(1), usage_hint: z.string().optional(), should_escape: z.boolean() })),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({ interactivity: z.object({ is_enabled: z.literal(true) }), socket_mode_enabled: z.boolean() }),
});

const manifest = manifestSchema.parse(parse(readFileSync(join(import.meta.dirname, '..', '..', 'manifest.yml'), 'utf8')));

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

describe('manifest.yml', () => {
  it('lists exactly the commands that have listeners', () => {
    const inManifest = manifest.features.slash_commands.map((c) => c.command).sort();
    expect(inManifest).toEqual([...bot.surface.commands].sort());
  });

  it('every manifest command is acked by the running receiver within 3 s', async () => {
    for (const c of manifest.features.slash_commands) {
      const res = await sendSlashCommand(bot.fake, bot.target, { command: c.command, text: 'help', user: USERS.outsider, channel: CHANNEL });
      expect(res.status, c.command).toBe(200);
      expect(res.ms, c.command).toBeLessThan(3000);
    }
  });

  it('has the usage hints users see and only the scopes the code uses', () => {
    const hints = Object.fromEntries(manifest.features.slash_commands.map((c) => [c.command, c.usage_hint]));
    expect(hints).toEqual({ '/backup': '[label] | drill [label] | status | list | history | help', '/restore': '<date|label>' });
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'commands', 'usergroups:read', 'users:read']);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('every Web API method the bot calls is covered by a manifest scope', async () => {
    // Use every feature once: a backup, a restore request, an approval.
    await sendSlashCommand(bot.fake, bot.target, { command: '/backup', text: 'scope-check', user: USERS.operator, channel: CHANNEL });
    await waitFor(() => bot.core.backups.length === 1, 5000, 'backup queued');
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.groupApprover, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'approval shown');
    await waitFor(() => bot.fake.ephemerals.find((e) => e.user === USERS.groupApprover && e.text.includes('approval is recorded')), 5000, 'clicker told');
    const scopeOf: Record<string, string> = {
      'auth.test': '',
      'chat.postMessage': 'chat:write',
      'chat.update': 'chat:write',
      'chat.postEphemeral': 'chat:write',
      'usergroups.users.list': 'usergroups:read',
      'users.info': 'users:read',
    };
    const used = new Set(bot.fake.calls.map((c) => c.method).filter((m) => m !== 'response_url'));
    expect([...used].sort()).toEqual(Object.keys(scopeOf).sort());
    for (const m of used) {
      expect(Object.keys(scopeOf), `unexpected Web API method ${m}`).toContain(m);
      const scope = scopeOf[m];
      if (scope) expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });
});
