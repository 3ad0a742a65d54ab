/**
 * The channel as one user sees it, as HTML: messages in posting order with their threads, the
 * ephemerals meant for that user only, and the commands that user typed (dimmed; Slack does not
 * show those to anyone, the console shows them to their author so a rehearsal reads as a story).
 */
import type { FakeEphemeral, FakeMessage, FakeSlack } from '../fake-slack/index.ts';
import { messageBodyHtml } from './blocks-html.ts';
import { escapeHtml, type NameOf } from './mrkdwn.ts';

/** A command typed in the console. */
export interface Echo {
  user: string;
  channel: string;
  text: string;
  at: number;
  /** The console's own answer when the command never reached the bot (unknown command). */
  note?: string;
}

/** When each message was first seen (the fake's ts has whole seconds only). */
export type SeenAt = (msg: FakeMessage) => number;

type Item = { at: number; html: string };

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

function botHeader(at: number, edited: boolean): string {
  return `<div class="meta"><span class="avatar bot">CB</span><span class="who">CRVS Backup</span><span class="app">APP</span><span class="time">${clock(at)}</span>${edited ? '<span class="edited">(edited)</span>' : ''}</div>`;
}

function messageHtml(msg: FakeMessage, seenAt: SeenAt, nameOf: NameOf, cls: string): string {
  return `<article class="${cls}" data-ts="${escapeHtml(msg.ts)}">${botHeader(seenAt(msg), msg.edits.length > 0)}<div class="body">${messageBodyHtml(msg, { nameOf, ts: msg.ts })}</div></article>`;
}

function rootHtml(msg: FakeMessage, replies: FakeMessage[], seenAt: SeenAt, nameOf: NameOf): string {
  const thread =
    replies.length === 0
      ? ''
      : `<section class="thread"><div class="thread-title">Thread — ${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>${replies.map((r) => messageHtml(r, seenAt, nameOf, 'msg reply')).join('')}</section>`;
  return `<div class="root">${messageHtml(msg, seenAt, nameOf, 'msg')}${thread}</div>`;
}

function ephemeralHtml(e: FakeEphemeral, nameOf: NameOf): string {
  return `<article class="msg ephemeral">${botHeader(e.at, false)}<div class="only-you">Only visible to you</div><div class="body">${messageBodyHtml(e, { nameOf, ts: undefined })}</div></article>`;
}

function echoHtml(e: Echo, nameOf: NameOf): string {
  const who = nameOf(e.user) ?? e.user;
  const note = e.note ? `<div class="echo-note">${escapeHtml(e.note)}</div>` : '';
  return `<div class="echo"><span class="avatar">${escapeHtml(who.slice(0, 1))}</span><span class="who">${escapeHtml(who)}</span><span class="time">${clock(e.at)}</span><code>${escapeHtml(e.text)}</code><span class="echo-hint">(slash command: only you see that you ran it)</span>${note}</div>`;
}

/** The whole channel for `user`. */
export function channelHtml(input: { fake: FakeSlack; channel: string; user: string; echoes: Echo[]; seenAt: SeenAt; nameOf: NameOf }): string {
  const { fake, channel, user, seenAt, nameOf } = input;
  const inChannel = fake.messages.filter((m) => m.channel === channel);
  const items: Item[] = [];
  for (const root of inChannel.filter((m) => m.threadTs === undefined)) {
    const replies = inChannel.filter((m) => m.threadTs === root.ts);
    items.push({ at: seenAt(root), html: rootHtml(root, replies, seenAt, nameOf) });
  }
  for (const e of fake.ephemerals) if (e.user === user && e.channel === channel) items.push({ at: e.at, html: ephemeralHtml(e, nameOf) });
  for (const e of input.echoes) if (e.user === user && e.channel === channel) items.push({ at: e.at, html: echoHtml(e, nameOf) });
  items.sort((a, b) => a.at - b.at);
  if (items.length === 0) return '<div class="empty">Nothing here yet. Type <code>/backup</code> below to start.</div>';
  return items.map((i) => i.html).join('');
}
