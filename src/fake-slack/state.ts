/** State kept by the fake Slack: channel messages with threads, ephemerals, users, groups, calls. */

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  /** The bot user that posted it. */
  user: string;
  text: string;
  blocks: unknown[];
  /** Each earlier version, oldest first (chat.update keeps history for assertions). */
  edits: Array<{ text: string; blocks: unknown[]; at: number }>;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  via: 'chat.postEphemeral' | 'response_url';
  at: number;
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
  /** `ok` or the Slack error code answered. */
  result: string;
}

export interface FakeUser {
  id: string;
  name: string;
  deleted?: boolean;
  is_bot?: boolean;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
}

export interface ResponseUrlContext {
  channel: string;
  user: string;
  /** For interactions: the message the response may replace. */
  messageTs: string | undefined;
  uses: number;
  createdAt: number;
}

export class FakeState {
  readonly calls: ApiCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, string[]>();
  readonly responseUrls = new Map<string, ResponseUrlContext>();
  readonly rateLimits = new Map<string, { times: number; retryAfterSec: number }>();
  private seq = 0;

  /** Slack-like, strictly increasing message timestamps. */
  nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  find(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  thread(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }
}
