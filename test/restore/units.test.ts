/** Pure parts of the restore job: the deploy guard, the task-state judge, the thread messages. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { dataClearingReason } from '../../src/restore/deploy-guard.ts';
import { judgeTasks } from '../../src/restore/migrations.ts';

/** `docker service ps --format '{{.CurrentState}}|{{.Error}}'` lines as the platform returns them. */
function tasks(text: string): Array<{ state: string; error: string }> {
  return text.split('\n').filter((l) => l !== '').map((l) => ({ state: l.split('|')[0] ?? '', error: l.split('|')[1] ?? '' }));
}
import { failureMessage, formatDuration, migrationProgressMessage, summaryMessage } from '../../src/restore/summary.ts';

describe('deploy guard', () => {
  it.each([
    'FACTORY_RESET=yes ./deploy.sh',
    'cd /opt/opencrvs && FACTORY_RESET="yes" bash deploy.sh',
    'FACTORY_RESET=$RESET ./deploy.sh',
    './deploy.sh --clear-data=yes --restore-metadata=no host v1.3.0',
    './deploy.sh --clear_data=yes',
    './deploy.sh --clear-data host v1',
    './deploy.sh --clear-data=no --restore-metadata=yes host v1',
    'yarn deploy --reset',
    'gh workflow run deploy.yml -f reset: yes',
    'bash clear-all-data.sh && ./deploy.sh --clear-data=no',
    'docker volume prune -f && ./deploy.sh --clear-data=no',
    'rm -rf /data && ./deploy.sh',
  ])('refuses %s', (cmd) => {
    expect(dataClearingReason(cmd)).toBeDefined();
  });

  it.each([
    'cd /opt/opencrvs/infrastructure && ./deploy.sh --clear-data=no --restore-metadata=no',
    'FACTORY_RESET=no ./deploy.sh --clear-data=no --restore-metadata=no 10.0.0.1 v1.3.4',
    "cd / && docker stack deploy -c /opt/opencrvs/docker-compose.yml opencrvs",
    'service docker restart',
    'systemctl restart docker',
  ])('accepts %s', (cmd) => {
    expect(dataClearingReason(cmd)).toBeUndefined();
  });

  it('stops the configuration from loading with a data-clearing deploy command, naming the variable', () => {
    const err = (() => {
      try {
        loadConfig({ REDEPLOY_COMMAND: 'FACTORY_RESET=yes ./deploy.sh', LOG_LEVEL: 'silent' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe('REDEPLOY_COMMAND');
    expect((err as Error).message).toMatch(/would clear the restored data/);
  });

  it('has OpenCRVS defaults', () => {
    const c = loadConfig({ LOG_LEVEL: 'silent' }).restore;
    expect(c.stack).toBe('opencrvs');
    expect(c.migrationService).toBe('opencrvs_migration');
    expect(c.dockerRestartCommand).toBe('service docker restart');
    expect(c.deployCommand).toContain('--clear-data=no');
    expect(c.migrationTimeoutMs).toBe(12 * 3_600_000);
    expect(c.migrationProgressMs).toBe(30_000);
  });
});

describe('migration task states', () => {
  it('reads Complete, running, a final failure and a restart loop', () => {
    expect(judgeTasks(tasks('Complete 3 seconds ago|\n'), 3).kind).toBe('complete');
    expect(judgeTasks(tasks('Running 2 hours ago|\n'), 3).kind).toBe('running');
    expect(judgeTasks(tasks(''), 3).kind).toBe('missing');
    const failed = judgeTasks(tasks('Failed 5 seconds ago|task: non-zero exit (1)\n'), 3);
    expect(failed).toMatchObject({ kind: 'failed', error: 'task: non-zero exit (1)', failedTasks: 1 });
    const loop = judgeTasks(tasks('Starting 1 second ago|\nFailed 9 seconds ago|task: non-zero exit (1)\nFailed 30 seconds ago|x\nRejected 1 minute ago|no suitable node\n'), 3);
    expect(loop).toMatchObject({ kind: 'loop', failedTasks: 3, current: 'Starting 1 second ago' });
    // A retry that succeeded after one failure is Complete, not a failure.
    expect(judgeTasks(tasks('Complete 1 second ago|\nFailed 1 minute ago|x\n'), 3).kind).toBe('complete');
  });
});

describe('thread messages', () => {
  it('shows applied migrations per database and the elapsed time', () => {
    const m = migrationProgressMessage({
      service: 'opencrvs_migration',
      counts: { 'hearth-dev': 12, 'user-mgnt': 3 },
      baseline: { 'hearth-dev': 10, 'user-mgnt': 3 },
      elapsedMs: 3_725_000,
      verdict: { kind: 'running', current: 'Running 1 hour ago', error: '', failedTasks: 0, tasks: 1 },
    });
    expect(m.text).toContain('hearth-dev`: 12 applied (+2 since the restore)');
    expect(m.text).toContain('1 h 02 min');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
  });

  it('names requester and approvers in the summary and each store state in a failure', () => {
    const s = summaryMessage({
      label: '2026-11-26',
      requestedBy: 'U01REQ',
      approvedBy: ['U02APP', 'U03APP'],
      safetyLabel: 'pre-restore-20261126T0101',
      steps: [{ name: 'restore:mongo', record: { state: 'done', durationMs: 4000, attempts: 1, counts: { 'a.b': 5 } } }],
      totalMs: 10_000,
    });
    expect(s.text).toMatch(/^Done/);
    expect(s.text).toContain('Requested by <@U01REQ>, approved by <@U02APP>, <@U03APP>');
    expect(s.text).toContain('mongo*: 5 records');
    const f = failureMessage({
      label: 'x',
      step: 'restore:elasticsearch',
      error: 'elasticsearch: boom',
      stores: [
        { store: 'mongo', state: 'restored' },
        { store: 'elasticsearch', state: 'partially restored' },
        { store: 'minio', state: 'not touched' },
      ],
      safetyLabel: 'pre-restore-1',
      refused: false,
      people: { requestedBy: 'U01REQ', approvedBy: ['U02APP', 'U03APP'], oncallGroup: 'S0ONCALL' },
    });
    expect(f.text).toContain('stopped at step "Restore elasticsearch"');
    // Someone is notified: the on-call group, the requester and the approvers are mentioned.
    expect(f.text).toContain('<!subteam^S0ONCALL> · Requested by <@U01REQ>, approved by <@U02APP>, <@U03APP>');
    expect(JSON.stringify(f.blocks)).toContain('<!subteam^S0ONCALL>');
    expect(f.text).toContain('*minio*: not touched');
    expect(f.text).toContain('pre-restore-1');
  });
});
