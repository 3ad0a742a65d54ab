/** The console's cast: one channel and four people, so two approvers can be played by one person. */

export type ConsoleRole = 'operator' | 'approver' | 'nobody';

/** A person the console lets you be. */
export interface Person {
  id: string;
  name: string;
  role: ConsoleRole;
  /** What this person may do, shown next to the switch. */
  can: string;
}

export const PEOPLE: readonly Person[] = [
  { id: 'UALICE', name: 'Alice', role: 'operator', can: 'runs /backup and requests restores' },
  { id: 'UBOB', name: 'Bob', role: 'approver', can: 'approves or rejects restores' },
  { id: 'UCAROL', name: 'Carol', role: 'approver', can: 'approves or rejects restores' },
  { id: 'UDAVE', name: 'Dave', role: 'nobody', can: 'no role: the bot refuses him' },
];

export const CONSOLE_CHANNEL = { id: 'CCONSOLE01', name: 'opencrvs-ops' } as const;

export function personById(id: string): Person | undefined {
  return PEOPLE.find((p) => p.id === id);
}

export function idsWithRole(role: ConsoleRole): string[] {
  return PEOPLE.filter((p) => p.role === role).map((p) => p.id);
}
