/**
 * Posts the backup report: one root message per operation, the details in its thread. A nightly
 * run posts its own root (the running message, replaced by the report). A request from Slack
 * already has a root message (the command's "queued" message): when it is in the report channel,
 * that message BECOMES the report; in another channel it gets a short pointer to the report.
 * Takes any WebClient-like object.
 */
import type { KnownBlock } from '@slack/types';
import type { PipelineReporter, PipelineResult } from '../pipeline/types.ts';
import { buildDailyReport, buildReportThread, buildRunningMessage, buildReportPointer, type ReportOptions } from './blocks.ts';

/** The part of @slack/web-api's WebClient the reports use. */
export interface SlackChat {
  chat: {
    postMessage(args: { channel: string; text: string; blocks?: KnownBlock[]; thread_ts?: string; unfurl_links?: boolean }): Promise<{ ok?: boolean; ts?: string; channel?: string }>;
    update(args: { channel: string; ts: string; text: string; blocks?: KnownBlock[] }): Promise<{ ok?: boolean }>;
  };
}

export interface ReportTarget extends ReportOptions {
  /** The report channel (SLACK_CHANNEL, or the request's channel when none is configured). */
  channel: string;
  /** The Slack request that asked for the backup: its channel and root message. */
  requestThread?: { channel: string; threadTs?: string };
}

interface Root {
  channel: string;
  ts: string;
}

/** The request's root message, when the report takes it over (same channel, known ts). */
export function takenOverRoot(target: ReportTarget): Root | undefined {
  const req = target.requestThread;
  return req?.threadTs !== undefined && req.channel === target.channel ? { channel: req.channel, ts: req.threadTs } : undefined;
}

/** Posts (or replaces the root message with) the report; returns the root message's ts. */
export async function postReport(client: SlackChat, target: ReportTarget, result: PipelineResult, root?: Root): Promise<string | undefined> {
  const message = buildDailyReport(result, target);
  let ts = root?.ts;
  let channel = root?.channel ?? target.channel;
  // A root that cannot be edited any more (deleted meanwhile) must not swallow the report.
  const updated = root ? await client.chat.update({ channel: root.channel, ts: root.ts, text: message.text, blocks: message.blocks }).then(() => true, () => false) : false;
  if (!updated) {
    const posted = await client.chat.postMessage({ channel: target.channel, text: message.text, blocks: message.blocks, unfurl_links: false });
    ts = posted.ts;
    channel = posted.channel ?? target.channel;
  }
  if (ts) for (const text of buildReportThread(result)) await client.chat.postMessage({ channel, thread_ts: ts, text });
  const req = target.requestThread;
  const isRoot = req !== undefined && req.channel === channel && req.threadTs !== undefined && req.threadTs === ts;
  if (req && !isRoot) await pointTo(client, req, result, message.text, ts ? { channel, ts } : undefined);
  return ts;
}

/**
 * The request was made in another channel (or its root is unknown): its root message stops saying
 * "queued" and its thread gets the outcome (the reply's mentions notify; an edit would not).
 */
async function pointTo(client: SlackChat, req: { channel: string; threadTs?: string }, result: PipelineResult, summary: string, report: Root | undefined): Promise<void> {
  const where = report ? ` (report in <#${report.channel}>)` : '';
  if (req.threadTs) {
    const pointer = buildReportPointer(result, report?.channel);
    // Best effort: the reply below still tells the requester if the message cannot be edited.
    await client.chat.update({ channel: req.channel, ts: req.threadTs, text: pointer.text, blocks: pointer.blocks }).catch(() => undefined);
  }
  await client.chat.postMessage({ channel: req.channel, text: `${summary}${where}`, ...(req.threadTs ? { thread_ts: req.threadTs } : {}) });
}

/** A PipelineReporter posting to Slack: the running message first, replaced by the report. */
export function createSlackReporter(client: SlackChat, target: ReportTarget): PipelineReporter {
  let root = takenOverRoot(target);
  return {
    async started(info) {
      const m = buildRunningMessage(info);
      if (root) {
        try {
          await client.chat.update({ channel: root.channel, ts: root.ts, text: m.text, blocks: m.blocks });
          return;
        } catch {
          // The request's message is gone (deleted, or not ours to edit): the run gets its own root.
          root = undefined;
        }
      }
      const posted = await client.chat.postMessage({ channel: target.channel, text: m.text, blocks: m.blocks, unfurl_links: false });
      if (posted.ts) root = { channel: posted.channel ?? target.channel, ts: posted.ts };
    },
    async finished(result: PipelineResult) {
      await postReport(client, target, result, root);
    },
  };
}
