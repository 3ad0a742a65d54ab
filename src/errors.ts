/**
 * Typed errors. Each has a stable `code` and a message fit to show a user (CLI line, Slack reply):
 * no stack traces, no secrets.
 */
import { redactText } from './redact.ts';

export class BotError extends Error {
  readonly code: string;
  /** CLI exit code: 1 = the operation failed, 2 = bad input. */
  readonly exitCode: 1 | 2;
  constructor(code: string, message: string, exitCode: 1 | 2 = 1, options?: { cause?: unknown }) {
    // Scrubbed once here, so the message is safe wherever it goes (manifest, history, audit, logs).
    super(redactText(message), options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A configuration variable is missing or invalid. */
export class ConfigError extends BotError {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super('config_invalid', `Configuration error: ${variable} ${problem}`, 2);
    this.variable = variable;
  }
}

/** The user asked for something that cannot be done as asked (unknown label, bad flag…). */
export class InputError extends BotError {
  constructor(message: string, code = 'bad_input') {
    super(code, message, 2);
  }
}

/** A store could not be reached or answered with an error. */
export class StoreError extends BotError {
  readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super('store_failed', `${store}: ${message}`, 1, options);
    this.store = store;
  }
}

/** A backup set failed verification; `problems` lists every finding. */
export class VerificationError extends BotError {
  readonly problems: string[];
  constructor(label: string, problems: string[]) {
    super('set_invalid', `Backup set ${label} failed verification:\n- ${problems.join('\n- ')}`, 1);
    this.problems = problems;
  }
}

/** A bounded wait ran out. */
export class TimeoutError extends BotError {
  constructor(what: string, ms: number) {
    super('timeout', `${what} did not finish within ${Math.round(ms / 1000)} s`);
  }
}

/** A command run through the exec layer failed. Carries the command (never its secrets). */
export class ExecError extends BotError {
  readonly command: string;
  readonly exitCode2: number | null;
  readonly stderr: string;
  constructor(command: string, exit: number | null, stderr: string) {
    super('exec_failed', `\`${command}\` exited with ${exit ?? 'a signal'}: ${stderr.trim().slice(-500) || 'no output'}`);
    this.command = redactText(command);
    this.exitCode2 = exit;
    this.stderr = redactText(stderr);
  }
}

/**
 * The one place that turns anything thrown into a message for a user. Driver errors can quote a
 * connection URL or a header: the text is scrubbed of every registered secret and credential.
 */
export function userMessage(err: unknown): string {
  if (err instanceof BotError) return redactText(err.message);
  if (err instanceof Error) return redactText(`Unexpected error: ${err.message}`);
  return redactText(`Unexpected error: ${String(err)}`);
}
