/**
 * The CLI and its docs agree: every command's `--help` (built CLI) lists exactly the options
 * docs/transfer-cli.md gives under "Commands and options", and the reverse; every exit code a
 * command's help states carries the name the one table (exit-codes.ts) gives that number; the
 * exit-code tables of docs/transfer-cli.md and docs/migration-guide.md are that table, row for row.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, EXIT_CODE_NAMES, ExitCode } from '../src/cli/exit-codes.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli } from './verify-fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const doc = (name: string) => readFileSync(`${ROOT}docs/${name}`, 'utf8');

/** The commands `db --help` lists (and `migrate status`, the one subcommand of a command). */
async function commandNames(): Promise<string[]> {
  const r = await cli(['--help'], {});
  const block = r.stdout.slice(r.stdout.indexOf('Commands:'), r.stdout.indexOf('Exit codes'));
  const names = [...block.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  return names.flatMap((n) => (n === 'migrate' ? ['migrate', 'migrate status'] : [n]));
}

/** The long options of a help text's "Options:" block (not -h/--help, not the global ones). */
function helpOptions(help: string): string[] {
  const start = help.indexOf('\nOptions:\n');
  const end = help.indexOf('\n\n', start + 1);
  const block = help.slice(start, end === -1 ? undefined : end);
  return [...block.matchAll(/^ {2}(?:-[a-zA-Z], )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
}

/** The options docs/transfer-cli.md lists under `### \`db <command>\``: the backticked options before a bullet's first colon. */
function docOptions(md: string, command: string): string[] | null {
  const head = `### \`db ${command}\`\n`;
  const at = md.indexOf(head);
  if (at === -1) return null;
  const rest = md.slice(at + head.length);
  const section = rest.slice(0, rest.search(/^#{2,3} /m));
  const out: string[] = [];
  for (const line of section.split('\n')) {
    const lead = /^- ((?:`[^`]+`(?:, )?)+):/.exec(line);
    if (lead) for (const m of lead[1]!.matchAll(/`(?:-[a-zA-Z], )?(--[a-z0-9-]+)/g)) out.push(m[1]!);
  }
  return out;
}

/** The rows of a doc's exit-code table (between the exit-codes markers): [code, name, meaning]. */
function docExitTable(md: string): Array<[number, string, string]> {
  const start = md.indexOf('<!-- exit-codes');
  const end = md.indexOf('<!-- /exit-codes -->');
  expect(start, 'the exit-codes markers').toBeGreaterThan(-1);
  return [...md.slice(start, end).matchAll(/^\| (\d+) \| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2]!, m[3]!]);
}

const expectedTable = () => Object.entries(EXIT_CODE_MEANINGS).map(([c, m]) => [Number(c), EXIT_CODE_NAMES[Number(c) as ExitCode], m]);

let commands: string[];
const helps = new Map<string, string>();

beforeAll(async () => {
  ensureFreshDist();
  commands = await commandNames();
  for (const c of commands) {
    const r = await cli([...c.split(' '), '--help'], {});
    expect(r.code, c).toBe(0);
    helps.set(c, r.stdout);
  }
}, 120_000);

describe('every command: --help and docs/transfer-cli.md list the same options', () => {
  it('walks all the commands', () => {
    expect(commands).toEqual(['migrate', 'migrate status', 'adopt', 'check', 'repair', 'export', 'import', 'copy', 'verify', 'reconcile', 'status', 'gate']);
  });

  it('each option of each --help is documented, and each documented option exists', () => {
    const md = doc('transfer-cli.md');
    for (const c of commands) {
      const documented = docOptions(md, c);
      expect(documented, `docs/transfer-cli.md has a section "### \`db ${c}\`"`).not.toBeNull();
      expect(new Set(documented), `db ${c}: docs vs --help`).toEqual(new Set(helpOptions(helps.get(c)!)));
    }
  });

  it('the global options are documented and shown in each command\'s help', () => {
    const md = doc('transfer-cli.md');
    for (const g of ['`--json`', '`-V, --version`', '`-h, --help`']) expect(md).toContain(`- ${g}:`);
    for (const c of commands) expect(helps.get(c), c).toMatch(/Global Options:\n(?:.*\n)*? {2}--json /);
  });

  it('no command nor doc offers an option that does not exist (import --rejects, the dry runs, the URLs)', () => {
    expect(helpOptions(helps.get('import')!)).toEqual(expect.arrayContaining(['--rejects', '--dry-run', '--database-url']));
    expect(helpOptions(helps.get('copy')!)).toEqual(expect.arrayContaining(['--dry-run', '--libsql-url', '--database-url']));
    expect(helpOptions(helps.get('migrate')!)).toEqual(expect.arrayContaining(['--dry-run', '--libsql-url', '--database-url']));
    for (const c of ['verify', 'reconcile', 'gate', 'status']) expect(helpOptions(helps.get(c)!), c).toEqual(expect.arrayContaining(['--libsql-url', '--database-url']));
  });
});

describe('exit codes: one table', () => {
  it("each command's --help states codes only by the table's name for that number, and always 1 and 2", () => {
    for (const c of commands) {
      const help = helps.get(c)!;
      const at = help.indexOf('Exit codes (the table of `db --help`):');
      expect(at, `db ${c} --help has an exit-code section`).toBeGreaterThan(-1);
      const rows = [...help.slice(at).matchAll(/^ +(\d+) {2}(\S+) +(.+)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
      expect(rows.length, c).toBeGreaterThan(2);
      for (const [code, name] of rows) expect(EXIT_CODE_NAMES[code as ExitCode], `db ${c}: ${code} ${name}`).toBe(name);
      expect(rows.map(([code]) => code), c).toEqual(expect.arrayContaining([ExitCode.FAILURE, ExitCode.USAGE]));
      // No other "exit N" claim elsewhere in the help text that the table does not back.
      for (const m of help.slice(0, at).matchAll(/\bexits? (\d+)\b/g)) expect(rows.map(([code]) => code), `db ${c}: "${m[0]}"`).toContain(Number(m[1]));
    }
  });

  it('the commands that need a migrated backend say 9 SCHEMA_MISSING; import and copy say 130 INTERRUPTED', () => {
    for (const c of ['check', 'export', 'import', 'copy', 'verify', 'reconcile', 'gate', 'status']) expect(helps.get(c), c).toMatch(/^ +9 {2}SCHEMA_MISSING /m);
    for (const c of ['import', 'copy']) expect(helps.get(c), c).toMatch(/^ +130 {2}INTERRUPTED /m);
    expect(helps.get('migrate')).toMatch(/^ +1 {2}FAILURE +a migration failed/m);
  });

  it("the root help's one-line descriptions state no code the table contradicts", async () => {
    const r = await cli(['--help'], {});
    const block = r.stdout.slice(r.stdout.indexOf('Commands:'), r.stdout.indexOf('Exit codes'));
    for (const m of block.matchAll(/exit (\d+) on ([a-z ]+)/g)) expect(['4'], m[0]).toContain(m[1]);
  });

  for (const name of ['transfer-cli.md', 'migration-guide.md']) {
    it(`docs/${name} carries the table row for row`, () => {
      expect(docExitTable(doc(name))).toEqual(expectedTable());
    });
  }
});
