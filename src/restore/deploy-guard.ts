/**
 * Refuses redeploy commands that would wipe the data a restore just put back. Used twice: when the
 * configuration is loaded and again right before the command runs on the manager node.
 */

interface Rule {
  pattern: RegExp;
  why: string;
}

/**
 * Conservative on purpose: a flag whose value is not literally "no" (a variable, "yes", or no value
 * at all) counts as clearing, because we cannot know what it expands to on the manager node.
 */
const RULES: readonly Rule[] = [
  { pattern: /\bFACTORY_RESET\s*=\s*(?!["']?no["']?(?:\s|;|&|\||$))/i, why: 'sets FACTORY_RESET to something other than "no"' },
  { pattern: /--clear[-_]data(?!\s*=\s*["']?no["']?(?:\s|;|&|\||$))/i, why: 'passes --clear-data without "=no"' },
  { pattern: /--restore[-_]metadata(?!\s*=\s*["']?no["']?(?:\s|;|&|\||$))/i, why: 'passes --restore-metadata without "=no" (it reloads the default data)' },
  { pattern: /--(?:factory[-_])?reset(?!\s*=\s*["']?no["']?(?:\s|;|&|\||$))/i, why: 'passes a reset flag without "=no"' },
  { pattern: /\b(?:reset|clear[-_]data)\s*:\s*["']?(?:yes|true)\b/i, why: 'asks a workflow for a reset' },
  { pattern: /\bclear[-_]all(?:[-_]data)?(?:\.sh)?\b/i, why: 'runs a clear-all script' },
  { pattern: /\bdocker\s+volume\s+(?:rm|prune)\b/i, why: 'removes Docker volumes' },
  { pattern: /\brm\s+-[A-Za-z]*r[A-Za-z]*\s+\S*\/data\b/i, why: 'deletes a data folder' },
];

/** Why `command` would clear data, or undefined when it looks safe. */
export function dataClearingReason(command: string): string | undefined {
  for (const rule of RULES) if (rule.pattern.test(command)) return rule.why;
  return undefined;
}
