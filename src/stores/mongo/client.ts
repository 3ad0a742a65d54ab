/** One way to reach MongoDB: bounded connection, and errors that name the server without its password. */
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { redactUrl } from '../../config.ts';
import { StoreError } from '../../errors.ts';

export interface MongoClientOptions {
  url: string;
  connectTimeoutMs: number;
  /** Longest silence on a socket during an operation (a batch, an index build). */
  operationTimeoutMs: number;
}

/** Connects (bounded by connectTimeoutMs) or throws a StoreError a user can act on. */
export async function connectMongo(opts: MongoClientOptions): Promise<MongoClient> {
  const client = new MongoClient(opts.url, {
    appName: 'crvs-backup-bot',
    serverSelectionTimeoutMS: opts.connectTimeoutMs,
    connectTimeoutMS: opts.connectTimeoutMs,
    socketTimeoutMS: opts.operationTimeoutMs,
    // One server (no replica-set discovery needed for a dump); works with a single mongod and a replica set URL alike.
    retryWrites: false,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new StoreError('mongo', `cannot reach MongoDB at ${redactUrl(opts.url)} within ${Math.round(opts.connectTimeoutMs / 1000)} s: ${reason(err)}`, {
      cause: err,
    });
  }
}

/** A short reason from a driver error, without credentials. */
export function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return redactUrl(message).split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}

const buildInfoSchema = z.object({ version: z.string(), ferretdbVersion: z.string().optional() });

/** "MongoDB 4.4.29" or "FerretDB 1.24.2 (MongoDB wire 7.0.42 compat)". */
export async function serverVersion(client: MongoClient): Promise<{ label: string; version: string }> {
  const info = buildInfoSchema.parse(await client.db('admin').command({ buildInfo: 1 }));
  if (info.ferretdbVersion) {
    return { label: `FerretDB ${info.ferretdbVersion.replace(/^v/, '')} (MongoDB wire ${info.version} compat)`, version: info.version };
  }
  return { label: `MongoDB ${info.version}`, version: info.version };
}
