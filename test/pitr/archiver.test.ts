/**
 * The WAL archiver on a private PostgreSQL 17 cluster: pg_receivewal killed → started again (even
 * while the server still counts the dead receiver's walsender as the slot's holder); complete
 * segments sealed, the partial one never; archiver stopped → one lag alert per episode, the slot
 * warned about at 80 % and dropped beyond PITR_MAX_SLOT_RETAINED_MB, one "caught up" when it is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createMonitor, type PitrNotice } from '../../src/pitr/monitor.ts';
import { startPitrService, type PitrService } from '../../src/pitr/service.ts';
import type { ArchiverEvent } from '../../src/pitr/archiver.ts';
import { currentStream, streamDir } from '../../src/pitr/wal.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { copyWalOffsite } from '../../src/pitr/offsite.ts';
import { startPrivateCluster, type PrivateCluster } from './cluster.ts';
import { slotActive, until } from './scenario.ts';

let cluster: PrivateCluster;
let config: Config;
let service: PitrService | undefined;
const logger = createLogger('silent');

beforeAll(async () => {
  cluster = await startPrivateCluster('archiver');
  // 3 s of lag is an episode here; the slot may hold 40 MB (a warning from 32 MB).
  config = testConfig(cluster.env({ PITR_MAX_LAG_MINUTES: '0.05', PITR_MAX_SLOT_RETAINED_MB: '40', PITR_RESTART_MAX_SECONDS: '1' }));
  await cluster.query('postgres', 'CREATE TABLE filler (id serial, v text)');
}, 300_000);

afterAll(async () => {
  await service?.stop().catch(() => undefined);
  await cluster?.remove();
});

/** The pid of the newest pg_receivewal the archiver started (told by the exec layer, killed by its pid). */
function receiverPid(events: ArchiverEvent[]): { run: number; pid: number } | undefined {
  const e = events.filter((x) => x.kind === 'spawned').at(-1);
  return e?.kind === 'spawned' ? { run: e.run, pid: e.pid } : undefined;
}

/** Some WAL, then the switch to a new segment (an idle server does not switch). */
async function switchSegment(): Promise<void> {
  await cluster.query('postgres', "INSERT INTO filler (v) SELECT md5(g::text) FROM generate_series(1, 100) g");
  await cluster.query('postgres', 'SELECT pg_switch_wal()');
}

/** About 4 MB of WAL: less than the 8 MB between the warning (80 %) and the limit, so the warning is seen first. */
async function growWal(): Promise<void> {
  await cluster.query('postgres', "INSERT INTO filler (v) SELECT md5(g::text) FROM generate_series(1, 40000) g");
}

describe('the WAL archiver', () => {
  it('restarts pg_receivewal when it dies, and seals complete segments only', async () => {
    const events: ArchiverEvent[] = [];
    const sent: string[] = [];
    service = startPitrService({ config, logger, notify: () => undefined, restartBaseMs: 100, sealMs: 3_600_000, onArchiverEvent: (e) => events.push(e), copyOffsite: async (_stream, names) => void sent.push(...names) });
    // When a wait runs out, what the archiver went through says why (the CI log is all there is).
    const explain = async (p: Promise<void>): Promise<void> =>
      p.catch(async (err: unknown) => {
        const slot = await cluster.query('postgres', 'SELECT active, active_pid, restart_lsn::text FROM pg_replication_slots').catch((e: unknown) => String(e));
        const files = await readdir(streamDir(config.backupRoot, await currentStream(config.backupRoot))).catch(() => []);
        throw new Error(`${String(err)}; archiver runs ${service?.archiver.runs}, events ${JSON.stringify(events.slice(-8))}; slots ${JSON.stringify(slot)}; files ${files.join(' ')}`);
      });
    const dir = streamDir(config.backupRoot, await currentStream(config.backupRoot));
    await explain(until('pg_receivewal to stream', 180_000, async () => (await slotActive(cluster, config.pitr.slot)) !== undefined && receiverPid(events) !== undefined));
    const firstWalsender = await slotActive(cluster, config.pitr.slot);
    const first = receiverPid(events);
    expect(first).toBeDefined();
    process.kill((first as { pid: number }).pid, 'SIGKILL');
    // Generous: under load the server may notice the dead connection late (the archiver ends that walsender itself).
    await explain(until('a new pg_receivewal streaming through the slot', 180_000, async () => {
      const now = await slotActive(cluster, config.pitr.slot);
      const p = receiverPid(events);
      return service !== undefined && service.archiver.running && now !== undefined && now !== firstWalsender && p !== undefined && p.run > (first as { run: number }).run;
    }));
    // The new receiver archives: a completed segment appears and is sealed; the partial one is not.
    const before = new Set(await readdir(dir));
    await switchSegment();
    await explain(until('a new complete segment in the archive', 180_000, async () => (await readdir(dir)).some((n) => /^[0-9A-F]{24}$/.test(n) && !before.has(n))));
    await explain(until('the next segment being written (.partial)', 180_000, async () => {
      await cluster.query('postgres', "INSERT INTO filler (v) VALUES ('x')");
      return (await readdir(dir)).some((n) => n.endsWith('.partial'));
    }));
    await service.sealNow();
    const names = await readdir(dir);
    const segments = names.filter((n) => /^[0-9A-F]{24}$/.test(n));
    for (const s of segments) expect(names).toContain(`${s}.sha256`);
    const partial = names.filter((n) => n.endsWith('.partial'));
    expect(partial.length).toBe(1);
    expect(names).not.toContain(`${partial[0]}.sha256`);
    const seal = await readFile(join(dir, `${segments.at(-1)}.sha256`), 'utf8');
    expect(seal).toMatch(/^[0-9a-f]{64}  [0-9A-F]{24}\n$/);
    // Every sealed segment was handed to the offsite copy, once (journalled: a second round sends nothing again).
    expect([...sent].sort()).toEqual(expect.arrayContaining(segments));
    await service.sealNow();
    expect(new Set(sent).size).toBe(sent.length);
  }, 420_000);

  it('copies sealed WAL offsite, checked on the server, encrypted when the key is set', async () => {
    const stream = await currentStream(config.backupRoot);
    const dir = streamDir(config.backupRoot, stream);
    const sealed = (await readdir(dir)).filter((n) => n.endsWith('.sha256')).map((n) => n.slice(0, -7)).sort();
    expect(sealed.length).toBeGreaterThan(0);
    const remoteRoot = mkdtempSync(join(servicesEnv()['BACKUP_SERVER_DIR'] ?? tmpdir(), 'pitr-wal-'));
    try {
      const plain = testConfig({ ...cluster.env(), BACKUP_ROOT: config.backupRoot, BACKUP_SERVER_DIR: remoteRoot });
      expect(await copyWalOffsite(plain, stream, sealed)).toBe(sealed.length);
      for (const name of sealed) {
        const local = await readFile(join(dir, name));
        const remote = await readFile(join(remoteRoot, 'postgres-wal', stream, name));
        expect(remote.equals(local)).toBe(true);
      }
      const encRoot = join(remoteRoot, 'enc');
      const enc = testConfig({ ...cluster.env(), BACKUP_ROOT: config.backupRoot, BACKUP_SERVER_DIR: encRoot, OFFSITE_ENCRYPTION_KEY: 'a-test-key-that-is-long-enough-0123456789' });
      expect(await copyWalOffsite(enc, stream, sealed.slice(0, 1))).toBe(1);
      const stored = await readFile(join(encRoot, 'postgres-wal', stream, `${sealed[0]}.enc`));
      const local = await readFile(join(dir, sealed[0] as string));
      expect(stored.includes(local.subarray(0, 4096))).toBe(false);
      // No temporary names are left behind on the server.
      expect((await readdir(join(remoteRoot, 'postgres-wal', stream))).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      rmSync(remoteRoot, { recursive: true, force: true });
    }
  }, 180_000);

  it('archiver stopped: the lag alert fires once, the slot is warned about then dropped; back: one "caught up"', async () => {
    await service?.stop();
    service = undefined;
    const notices: PitrNotice[] = [];
    const monitor = createMonitor({ config, logger, notify: (n) => void notices.push(n) });
    await monitor.tick();
    const oldStream = await currentStream(config.backupRoot);
    // Past the lag limit (3 s), checked several times: one alert for the whole episode.
    await new Promise((r) => setTimeout(r, 4000));
    for (let i = 0; i < 3; i++) await monitor.tick();
    const lagAlerts = (): PitrNotice[] => notices.filter((n) => n.text.includes('PITR_MAX_LAG_MINUTES'));
    expect(lagAlerts()).toHaveLength(1);
    expect(lagAlerts()[0]?.text).toMatch(/PITR_MAX_LAG_MINUTES/);
    // WAL piles up on the server behind the slot: warned at 80 %, dropped beyond the limit.
    await until('the slot to be dropped', 180_000, async () => {
      await growWal();
      await monitor.tick();
      return notices.some((n) => n.text.includes('DROPPED'));
    }, 100);
    const warning = notices.findIndex((n) => n.level === 'warning' && n.text.includes('PITR_MAX_SLOT_RETAINED_MB'));
    const dropped = notices.findIndex((n) => n.text.includes('DROPPED'));
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(dropped);
    expect(await slotActive(cluster, config.pitr.slot)).toBeUndefined();
    expect((await cluster.query('postgres', 'SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [config.pitr.slot])).length).toBe(0);
    expect(await currentStream(config.backupRoot)).not.toBe(oldStream);
    expect(lagAlerts()).toHaveLength(1);
    // The archiver back: a new slot, a new stream, and exactly one "caught up".
    service = startPitrService({ config, logger, notify: () => undefined, restartBaseMs: 100, sealMs: 3_600_000 });
    await until('the archive to catch up', 180_000, async () => {
      await monitor.tick();
      return notices.some((n) => n.text.includes('caught up'));
    });
    for (let i = 0; i < 2; i++) await monitor.tick();
    expect(notices.filter((n) => n.text.includes('caught up'))).toHaveLength(1);
    expect(lagAlerts()).toHaveLength(1);
    expect(await slotActive(cluster, config.pitr.slot)).toBeDefined();
  }, 420_000);
});
