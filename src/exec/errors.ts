/** Errors specific to the exec layer (the shared ones, ExecError and TimeoutError, live in src/errors.ts). */
import { BotError } from '../errors.ts';

/** The SSH server's host key is not the pinned one (or none is pinned): we never connect. */
export class HostKeyError extends BotError {
  readonly host: string;
  readonly offered: string;
  constructor(host: string, offered: string, expected: string | undefined) {
    const why = expected
      ? `does not match the pinned key ${expected} (the key changed, or this is another machine)`
      : 'cannot be checked: no host key is pinned in the configuration';
    super('host_key_refused', `Refused SSH connection to ${host}: its host key ${offered} ${why}.`);
    this.host = host;
    this.offered = offered;
  }
}
