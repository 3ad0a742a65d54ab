/** Adapts our pino logger to the Logger interface Bolt and the Web API client expect. */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../log.ts';

function text(parts: unknown[]): string {
  return parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
}

/** Bolt's messages become one pino line each, tagged `component: slack`. */
export function boltLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => log.debug({ detail: text(m) }, 'bolt'),
    info: (...m: unknown[]) => log.info({ detail: text(m) }, 'bolt'),
    warn: (...m: unknown[]) => log.warn({ detail: text(m) }, 'bolt'),
    error: (...m: unknown[]) => log.error({ detail: text(m) }, 'bolt'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
