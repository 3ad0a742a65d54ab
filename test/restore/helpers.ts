/** Shared pieces of the restore tests: the manager node's executor, a recording thread, MongoDB data. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KnownBlock } from '@slack/types';
import { MongoClient, type Document } from 'mongodb';
import type { Config } from '../../src/config.ts';
import { createExecutor, type Executor } from '../../src/exec/index.ts';
import type { ThreadPoster } from '../../src/restore/thread-poster.ts';

/** The manager node's executor (the harness sshd). */
export function managerExec(config: Config): Executor {
  if (!config.manager) throw new Error('the harness sshd is not configured (MANAGER_HOST missing)');
  return createExecutor({ kind: 'ssh', ...config.manager });
}

export interface RecordedMessage {
  ts: string;
  text: string;
  blocks: KnownBlock[] | undefined;
  edits: number;
}

/** What the recording thread keeps. */
export type RecordingPoster = ThreadPoster & {
  messages: RecordedMessage[];
  all(): string;
  /** The thread's root message (the approval card) as the job last drew it; undefined if never. */
  card: { text: string; blocks: KnownBlock[] } | undefined;
};

/** A thread that records posts and edits (Slack itself is tested elsewhere). */
export function recordingPoster(): RecordingPoster {
  const messages: RecordedMessage[] = [];
  let n = 0;
  const recorder: RecordingPoster = {
    messages,
    card: undefined,
    all: () => messages.map((m) => m.text).join('\n---\n'),
    async post(text, blocks) {
      const ts = `1700000000.${String(++n).padStart(6, '0')}`;
      messages.push({ ts, text, blocks, edits: 0 });
      return ts;
    },
    async update(ts, text, blocks) {
      const m = messages.find((x) => x.ts === ts);
      if (!m) throw new Error(`update of an unknown message ${ts}`);
      m.text = text;
      m.blocks = blocks;
      m.edits += 1;
    },
    async root(text, blocks) {
      recorder.card = { text, blocks };
    },
  };
  return recorder;
}

/** Unique database names for one test (the MongoDB server is shared). */
export function testDatabases(): string[] {
  const id = randomBytes(3).toString('hex');
  return [`rt${id}-hearth-dev`, `rt${id}-user-mgnt`];
}

/** Writes a small OpenCRVS-like data set, with a migrate-mongo changelog in each database. */
export async function seedMongo(url: string, dbs: string[]): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    for (const [i, name] of dbs.entries()) {
      const db = client.db(name);
      await db.dropDatabase();
      await db.collection('Patient').insertMany(Array.from({ length: 40 + i }, (_, k) => ({ _id: `p${k}`, name: `Person ${k}`, born: new Date(Date.UTC(1990, 0, 1 + k)) }) as Document));
      await db.collection('Task').insertMany(Array.from({ length: 25 }, (_, k) => ({ _id: `t${k}`, status: k % 2 ? 'REGISTERED' : 'DECLARED', n: k }) as Document));
      await db.collection('changelog').insertMany([1, 2].map((k) => ({ fileName: `2023010${k}-m${k}.js`, appliedAt: new Date(Date.UTC(2023, 0, k)) })));
    }
  } finally {
    await client.close();
  }
}

/** Changes the data the way a day of work (or a mistake) would. */
export async function mutateMongo(url: string, dbs: string[]): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    const db = client.db(dbs[0] as string);
    await db.collection('Patient').deleteMany({ _id: { $in: ['p1', 'p2', 'p3'] } } as Document);
    await db.collection('Patient').insertOne({ _id: 'new-1', name: 'Added after the backup' } as Document);
    await db.collection('Task').updateMany({}, { $set: { status: 'ARCHIVED' } });
    await client.db(dbs[1] as string).collection('Task').drop();
  } finally {
    await client.close();
  }
}

/** Every document of every collection (sorted), per database; changelog kept apart. */
export async function snapshotMongo(url: string, dbs: string[]): Promise<{ data: Record<string, unknown>; changelog: Record<string, number> }> {
  const client = await MongoClient.connect(url);
  try {
    const data: Record<string, unknown> = {};
    const changelog: Record<string, number> = {};
    for (const name of dbs) {
      const db = client.db(name);
      const colls = (await db.listCollections().toArray()).map((c) => c.name).sort();
      for (const coll of colls) {
        if (coll === 'changelog') {
          changelog[name] = await db.collection(coll).countDocuments();
          continue;
        }
        const docs = await db.collection(coll).find().toArray();
        data[`${name}.${coll}`] = JSON.stringify(docs.sort((a, b) => String(a._id).localeCompare(String(b._id))));
      }
    }
    return { data, changelog };
  } finally {
    await client.close();
  }
}

/** Adds applied migrations to a database's changelog (what the migration service does). */
export async function applyMigrations(url: string, db: string, n: number): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    await client.db(db).collection('changelog').insertMany(Array.from({ length: n }, (_, k) => ({ fileName: `2026${k}-new.js`, appliedAt: new Date() })));
  } finally {
    await client.close();
  }
}

/** Drops the test's databases. */
export async function dropMongo(url: string, dbs: string[]): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    for (const name of dbs) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Labels of pre-restore sets present under the backup root. */
export function safetySets(root: string): string[] {
  const dir = join(root, 'manifests');
  if (!existsSync(dir)) return [];
  return execFileSync('ls', [dir], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.startsWith('pre-restore-') && f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}
