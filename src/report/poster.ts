/**
 * Posts the daily report: one root message per run (posted when the run starts, updated with the
 * result when it ends), the details in its thread. Takes any WebClient-like object.
 */
import type { KnownBlock } from '@slack/types';
import type { PipelineReporter, PipelineResult } from '../pipeline/types.ts';
import { buildDailyReport, buildReportThread, buildRunningMessage, type ReportOptions } from './blocks.ts';

/** The part of @slack/web-api's WebClient the reports use. */
export interface SlackChat {
  chat: {
    postMessage(args: { channel: string; text: string; blocks?: KnownBlock[]; thread_ts?: string; unfurl_links?: boolean }): Promise<{ ok?: boolean; ts?: string; channel?: string }>;
    update(args: { channel: string; ts: string; text: string; blocks?: KnownBlock[] }): Promise<{ ok?: boolean }>;
  };
}

export interface ReportTarget extends ReportOptions {
  channel: string;
  /** Also tell this thread (the Slack request that asked for the backup) how it ended. */
  requestThread?: { channel: string; threadTs?: string };
}

/** Posts (or replaces the running message with) the report; returns the root message's ts. */
export async function postReport(client: SlackChat, target: ReportTarget, result: PipelineResult, root?: { channel: string; ts: string }): Promise<string | undefined> {
  const message = buildDailyReport(result, target);
  let ts = root?.ts;
  let channel = root?.channel ?? target.channel;
  if (root) {
    await client.chat.update({ channel: root.channel, ts: root.ts, text: message.text, blocks: message.blocks });
  } else {
    const posted = await client.chat.postMessage({ channel: target.channel, text: message.text, blocks: message.blocks, unfurl_links: false });
    ts = posted.ts;
    channel = posted.channel ?? channel;
  }
  if (ts) for (const text of buildReportThread(result)) await client.chat.postMessage({ channel, thread_ts: ts, text });
  const req = target.requestThread;
  if (req) {
    const summary = `${message.text}${ts ? ` (report in <#${channel}>)` : ''}`;
    await client.chat.postMessage({ channel: req.channel, text: summary, ...(req.threadTs ? { thread_ts: req.threadTs } : {}) });
  }
  return ts;
}

/** A PipelineReporter posting to Slack: the running message first, replaced by the report. */
export function createSlackReporter(client: SlackChat, target: ReportTarget): PipelineReporter {
  let root: { channel: string; ts: string } | undefined;
  return {
    async started(info) {
      const m = buildRunningMessage(info);
      const posted = await client.chat.postMessage({ channel: target.channel, text: m.text, blocks: m.blocks, unfurl_links: false });
      if (posted.ts) root = { channel: posted.channel ?? target.channel, ts: posted.ts };
    },
    async finished(result: PipelineResult) {
      await postReport(client, target, result, root);
    },
  };
}
