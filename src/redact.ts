/**
 * The one scrubber for text that leaves the process: error messages shown to users, log lines,
 * audit entries. It removes the secret values the configuration holds (registered by loadConfig
 * and the key loader) and anything that looks like a credential whatever its source: passwords in
 * URLs, Slack tokens, Authorization headers, private keys.
 *
 * The registry is process-wide on purpose: a driver error can echo a password anywhere, and the
 * places that turn errors into text (userMessage, the logger) have no config at hand.
 */

export const REDACTED = '[redacted]';

/** Values shorter than this are not scrubbed: a 3-letter "secret" would blank ordinary words. */
const MIN_SECRET_LENGTH = 6;

const known = new Set<string>();
let ordered: string[] = [];

/** Registers a secret value (and its JSON- and URL-encoded forms) to be scrubbed from all output. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined) return;
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH) return;
  const forms = [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)];
  let added = false;
  for (const f of forms) {
    if (known.has(f)) continue;
    known.add(f);
    added = true;
  }
  // Longest first, so a secret that contains another is removed whole.
  if (added) ordered = [...known].sort((a, b) => b.length - a.length);
}

/** Registers the password (decoded and as written) of a URL such as mongodb://user:pw@host. */
export function registerUrlSecret(url: string | undefined): void {
  if (!url) return;
  const pw = new RegExp(USERINFO.source, 'i').exec(url)?.[3];
  if (!pw) return;
  registerSecret(pw);
  try {
    registerSecret(decodeURIComponent(pw));
  } catch {
    /* not valid percent-encoding: the raw form is registered */
  }
}

// scheme://user:password@ — the password may hold "/" (unencoded), never whitespace, quotes or "@".
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#"'<>`]*):([^\s@"'<>`]*)@/gi;
const QUERY_SECRET = /([?&;](?:password|passwd|pwd|secret|token|access_token|api_?key|x-amz-signature)=)[^&\s"'<>`]+/gi;
const FLAG_SECRET = /(\s--?(?:password|passwd|pwd|secret|token|api-?key)(?:=|\s+))(?!\[redacted\])[^\s"'`]+/gi;
const SLACK_TOKEN = /\bx(?:ox[abeoprs]|app)-[A-Za-z0-9-]{4,}/g;
const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?(?:Basic|Bearer)\s+)[A-Za-z0-9+/=._~-]+/gi;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Hides a password in a URL such as mongodb://user:pass@host or redis://:pass@host. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, `$1$2:${REDACTED}@`);
}

/** Text with every registered secret and every credential-looking part replaced by [redacted]. */
export function redactText(text: string): string {
  let out = text;
  for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return redactUrl(out)
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(FLAG_SECRET, `$1${REDACTED}`)
    .replace(SLACK_TOKEN, REDACTED)
    .replace(AUTH_HEADER, `$1${REDACTED}`)
    .replace(PRIVATE_KEY, REDACTED);
}
