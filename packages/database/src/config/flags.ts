import { DatabaseError } from '../errors.js';
import { registerSecret } from '../logger.js';

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** The accepted spellings of a flag, as printed in errors and docs. */
export const ACCEPTED_FLAG_VALUES = 'true/false/1/0/yes/no/on/off (any case; blank = unset)';

/** Whether `raw` is an accepted spelling of a flag (blank included): safe to show. */
export function isFlagSpelling(raw: string | undefined | null): boolean {
  const v = (raw ?? '').trim().toLowerCase();
  return v === '' || TRUE.includes(v) || FALSE.includes(v);
}

/**
 * Parses one boolean flag. Blank or unset is `false`.
 * @throws DatabaseError `INVALID_FLAG` naming the variable and the accepted values (never the value).
 */
export function parseFlag(name: string, raw: string | undefined): boolean {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return false;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  // The value is not quoted, and is registered for redaction: it may be a secret pasted into the wrong variable.
  registerSecret(raw);
  throw new DatabaseError('INVALID_FLAG', `${name} is not a flag value; accepted: ${ACCEPTED_FLAG_VALUES}`, {
    variable: name,
    accepted: [...TRUE, ...FALSE],
  });
}
