/** Structured logging (pino) with secrets redacted by the logger itself. */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  '*.password',
  '*.secretKey',
  '*.token',
  '*.key',
  '*.passphrase',
  '*.privateKey',
  'password',
  'secretKey',
  'token',
  'headers.authorization',
];

/** Builds the process logger; `destination` lets tests capture output. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}
