// Where the spool lives when SPOOL_DIR does not say. The spool is on by default, because
// `@mojaloop/event-sdk` drops an event the sidecar refuses: a sidecar without one loses a service's events in
// any broker restart. Its default is the user's state directory (XDG Base Directory: `$XDG_STATE_HOME`, else
// `~/.local/state`), the place for data that must outlive a process: the next run finds the spool there
// whatever directory it is started from, so nothing spooled is stranded in a working directory it will not
// see again (a systemd unit's working directory is `/` and not even writable). The container image sets
// `/var/lib/event-sidecar/spool`, and `npm start` a directory of the checkout.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { bad, ok, rawValue, type Env, type Parser } from '../env.js';

/** The value of SPOOL_DIR that turns the spool off. */
const SPOOL_OFF = 'off';

/** The default as the docs show it. */
export const DEFAULT_SPOOL_DIR_SHOWN = '$XDG_STATE_HOME/event-sidecar/spool';

// Values an operator may write meaning "no spool": refused rather than taken for a directory named `false`.
const SWITCH_WORDS = new Set(['false', 'no', '0', 'none', 'disabled', 'disable', 'true', 'yes', '1', 'on']);

/** SPOOL_DIR: `off` (false), else a directory, made absolute so that every log line names the same one. */
export const spoolDir: Parser<string | false> = (value, name) => {
  const lower = value.toLowerCase();
  if (lower === SPOOL_OFF) return ok(false);
  if (SWITCH_WORDS.has(lower))
    return bad(`${name} must be a directory, or ${SPOOL_OFF} to run without a spool, got "${value}"`);
  return ok(resolve(value));
};

/**
 * `$XDG_STATE_HOME/event-sidecar/spool` when XDG_STATE_HOME is an absolute path (the XDG specification
 * ignores a relative one), else `<home>/.local/state/event-sidecar/spool`, the home from HOME or, without it,
 * the user's entry in the system's user database.
 */
export function defaultSpoolDir(env: Env, home: () => string = homedir): string {
  const state = rawValue(env, 'XDG_STATE_HOME');
  const base = state !== undefined && isAbsolute(state) ? state : join(rawValue(env, 'HOME') ?? home(), '.local/state');
  return join(base, 'event-sidecar', 'spool');
}
