/** Quoting of argv for a POSIX shell (the remote side of SSH runs our command through one). */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word so that a POSIX shell reads it back unchanged. */
export function quoteArg(word: string): string {
  if (SAFE.test(word)) return word;
  // Inside single quotes nothing is special except the quote itself: close, add \', reopen.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every word and joins them: the result is one shell command line running exactly argv. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteArgv: empty argv');
  return argv.map(quoteArg).join(' ');
}

/** The command as shown in logs and errors: argv holds no secrets by contract, so it can be shown. */
export function describeCommand(argv: readonly string[]): string {
  const text = argv.map(quoteArg).join(' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
