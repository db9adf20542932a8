import { DatabaseError } from '../errors.js';

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** The accepted spellings of a flag, as printed in errors and docs. */
export const ACCEPTED_FLAG_VALUES = 'true/false/1/0/yes/no/on/off (any case; blank = unset)';

/**
 * Parses one boolean flag. Blank or unset is `false`.
 * @throws DatabaseError `INVALID_FLAG` naming the variable and the accepted values.
 */
export function parseFlag(name: string, raw: string | undefined): boolean {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return false;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new DatabaseError('INVALID_FLAG', `${name}=${JSON.stringify(raw)} is not a flag value; accepted: ${ACCEPTED_FLAG_VALUES}`, {
    variable: name,
    value: raw,
    accepted: [...TRUE, ...FALSE],
  });
}
