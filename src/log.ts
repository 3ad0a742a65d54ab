/**
 * Structured logging (pino) with secrets redacted by the logger itself, in two layers: fields named
 * like secrets are censored at any depth up to four levels (config.minio.secretKey, env.ES_PASSWORD…),
 * and every finished line is scrubbed of registered secret values and credential-looking text
 * (a URL with a password inside an error message, a Slack token in a library's debug output).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { redactText } from './redact.ts';
import { SECRET_KEYS } from './config-schema.ts';

export type { Logger };

/** Field names whose values are secrets wherever they appear. */
const SECRET_FIELDS = [
  'password',
  'secretKey',
  'secret',
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'encryptionKey',
  'passphrase',
  'privateKey',
  'authorization',
  'cookie',
  ...SECRET_KEYS,
];

const REDACT = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
  // `key` is also an ordinary word (an object key): censored only one level down, as before.
  '*.key',
];

/** A destination that scrubs each line before handing it on. */
function scrubbing(target: DestinationStream | NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string): void {
      target.write(redactText(line));
    },
  };
}

/** Builds the process logger; `destination` lets tests capture output. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  return pino(options, scrubbing(destination ?? pino.destination(2)));
}
