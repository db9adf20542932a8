/**
 * Exit codes of the `db` CLI: the one table. `db --help` prints it, each command's `--help` lists
 * the codes it can exit with by these names ({@link commandExitCodes}), and docs/transfer-cli.md and
 * docs/migration-guide.md carry the same rows (test/cli-docs.test.ts parses them). Scripts can trust
 * them: 0 only when the command fully succeeded.
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
  SCHEMA_MISSING: 9,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
/** The name of an exit code (`DRIFT` for 4…), as `--help` and the docs print it. */
export type ExitCodeName = keyof typeof ExitCode;

/**
 * One line per exit code, as `db --help` prints it: the one table of exit codes (the docs and the
 * tests read it from here, so help, docs and code cannot disagree). No `|` (the docs' tables).
 */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCode, string>> = {
  0: 'done; verify, reconcile, gate: no drift, every criterion met; a dry run: nothing in the way',
  1: 'an unexpected error, or a migration that failed (one line on stderr)',
  2: 'bad arguments or configuration (flags, USE_POSTGRES_*, DATABASE_URL missing, reconcile from the side that is not the primary)',
  3: 'a database did not answer, or the LibSQL file does not exist (it is never created)',
  4: 'drift (verify; reconcile: drift left) or a failed gate criterion',
  5: 'rejected rows (check, export, import, copy, verify: rows PostgreSQL cannot hold), key values repair leaves alone, a value adopt cannot convert',
  6: 'export files do not match metadata.json (import; nothing written)',
  7: "a database that is neither omega-bot's layout nor the product's (adopt, migrate; nothing written)",
  8: "omega-bot's database, not adopted yet: run `db adopt` (nothing written)",
  9: 'a table missing or a migration pending on a backend the command or the phase needs: run `db migrate`',
  130: 'interrupted (SIGINT, SIGTERM, or the package manager that started it died): what is written stays, run the same command again to resume',
};

/** The name of each code, by code. */
export const EXIT_CODE_NAMES: Readonly<Record<ExitCode, ExitCodeName>> = Object.fromEntries(
  Object.entries(ExitCode).map(([name, code]) => [code, name]),
) as Record<ExitCode, ExitCodeName>;

const NAME_WIDTH = Math.max(...Object.keys(ExitCode).map((n) => n.length));

/** The exit-code table of `db --help`: `  <code>  <NAME>  <meaning>`, one line per code, in order. */
export function exitCodesHelp(): string {
  return (
    '\nExit codes (every command):\n' +
    Object.entries(EXIT_CODE_MEANINGS)
      .map(([c, m]) => `  ${c.padStart(3)}  ${EXIT_CODE_NAMES[Number(c) as ExitCode].padEnd(NAME_WIDTH)}  ${m}`)
      .join('\n')
  );
}

/**
 * The exit-code section of one command's `--help`: the codes it can exit with, each printed with
 * its name from the one table and what it means for this command (`  4  DRIFT  drift left`), in
 * code order.
 * USAGE (2) and FAILURE (1) are added when missing: every command can exit with them.
 */
export function commandExitCodes(codes: ReadonlyArray<readonly [ExitCode, string]>): string {
  const all = new Map<ExitCode, string>(codes);
  if (!all.has(ExitCode.USAGE)) all.set(ExitCode.USAGE, 'bad arguments or configuration');
  if (!all.has(ExitCode.FAILURE)) all.set(ExitCode.FAILURE, 'anything else (one line on stderr)');
  const lines = [...all].sort(([a], [b]) => a - b).map(([c, m]) => `  ${String(c).padStart(3)}  ${EXIT_CODE_NAMES[c].padEnd(NAME_WIDTH)}  ${m}`);
  return `\n\nExit codes (the table of \`db --help\`):\n${lines.join('\n')}`;
}
