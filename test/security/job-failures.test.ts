/** A failed job's reason and stack, as BullMQ keeps them in Redis, hold no secret. Real Redis. */
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { scrubFailures } from '../../jobs/index.ts';
import { loadConfig } from '../../src/config.ts';
import { StoreError } from '../../src/errors.ts';
import { servicesEnv } from '../helpers/env.ts';

describe('failed jobs in Redis', () => {
  it('keep the reason and stack of a failure without the password it quoted; the error class is kept', async () => {
    loadConfig({ ES_PASSWORD: 'job-Es-Password-42' });
    const url = servicesEnv()['REDIS_URL'] ?? '';
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const name = `sec-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection: connection.duplicate() });
    const thrown: unknown[] = [];
    const worker = new Worker(
      name,
      scrubFailures(async (job: Job<{ kind: string }>) => {
        const err = job.data.kind === 'driver'
          ? new TypeError('connect failed: mongodb://backup:Pw-In-Url-77@mongo-1:27017 (password job-Es-Password-42)')
          : new StoreError('mongo', 'auth failed for mongodb://backup:Pw-In-Url-78@mongo-1');
        thrown.push(err);
        throw err;
      }),
      { connection, concurrency: 1 },
    );
    try {
      await events.waitUntilReady();
      for (const kind of ['driver', 'ours']) {
        const job = await queue.add('x', { kind }, { attempts: 1 });
        await job.waitUntilFinished(events, 10_000).catch(() => undefined);
        const stored = await queue.getJob(job.id ?? '');
        const text = `${stored?.failedReason ?? ''}\n${(stored?.stacktrace ?? []).join('\n')}`;
        expect(text).toContain('mongodb://backup:[redacted]@mongo-1');
        for (const secret of ['Pw-In-Url-77', 'Pw-In-Url-78', 'job-Es-Password-42']) expect(text).not.toContain(secret);
      }
      expect(thrown[0]).toBeInstanceOf(TypeError);
      expect(thrown[1]).toBeInstanceOf(StoreError);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});
