/**
 * Exit codes of the `db` CLI. Scripts can trust them: 0 only when the command fully succeeded.
 *
 * | code | name          | meaning                                                        |
 * |------|---------------|----------------------------------------------------------------|
 * | 0    | OK            | done; for verify/gate: zero drift / every criterion passed     |
 * | 1    | FAILURE       | an unexpected error (message on stderr)                         |
 * | 2    | USAGE         | bad arguments or invalid configuration (flags, env)            |
 * | 3    | UNREACHABLE   | a database did not answer                                       |
 * | 4    | DRIFT         | verify found drift / gate found a failing criterion             |
 * | 5    | REJECTED_ROWS | check found problem rows / import or copy rejected rows / adopt: a value cannot convert |
 * | 6    | INVALID_DATA  | export files do not match metadata.json (checksum, count)       |
 * | 7    | UNRECOGNISED_LAYOUT | adopt/migrate: the LibSQL file is not omega-bot's layout  |
 * | 8    | LEGACY_SCHEMA | the LibSQL file is omega-bot's, not adopted: run `db adopt`     |
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  DRIFT: 4,
  REJECTED_ROWS: 5,
  INVALID_DATA: 6,
  UNRECOGNISED_LAYOUT: 7,
  LEGACY_SCHEMA: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * One line per exit code, as `db --help` prints it: the one table of exit codes (the docs and the
 * tests read it from here, so help, docs and code cannot disagree).
 */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'ok (verify/gate: no drift, every criterion passed)',
  1: 'failure (unexpected error; message on stderr)',
  2: 'bad usage or configuration (arguments, environment)',
  3: 'a database did not answer',
  4: 'drift (verify, reconcile: drift left) or a failing gate criterion',
  5: 'rejected rows (check, import, copy, verify: rows PostgreSQL cannot hold)',
  6: 'export files invalid (checksum or count differs from metadata.json)',
  7: "LibSQL file not omega-bot's layout (adopt, migrate)",
  8: 'LibSQL file is omega-bot\'s, not adopted yet: run `db adopt`',
};

/** The exit-code table of `--help`. */
export function exitCodesHelp(): string {
  return '\nExit codes:\n' + Object.entries(EXIT_CODE_MEANINGS).map(([c, m]) => `  ${c}  ${m}`).join('\n');
}
