/**
 * The CLI says what it does: `--version`, and one table of exit codes (exit-codes.ts) that `--help`
 * prints line for line; `pnpm db --json …` from the repository root gives JSON only on stdout
 * (no pnpm banner), and the root scripts exec node so signals reach the process doing the work.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, EXIT_CODE_NAMES, ExitCode } from '../src/cli/exit-codes.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';
import { cli } from './verify-fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

beforeAll(() => ensureFreshDist());

describe('db --version and --help', () => {
  it('--version prints the package version and exits 0', async () => {
    const r = await cli(['--version'], {});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists every exit code of exit-codes.ts, and only those', async () => {
    const r = await cli(['--help'], {});
    expect(r.code).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('Exit codes (every command):'));
    const listed = [...table.matchAll(/^ +(\d+) {2}([A-Z_]+) +(.+)$/gm)].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(listed).toEqual(Object.entries(EXIT_CODE_MEANINGS).map(([c, m]) => [Number(c), EXIT_CODE_NAMES[Number(c) as ExitCode], m]));
    expect(Object.keys(EXIT_CODE_MEANINGS).map(Number)).toEqual(Object.values(ExitCode));
    for (const [name, code] of Object.entries(ExitCode)) expect(EXIT_CODE_NAMES[code]).toBe(name);
  });

  it('an unknown option is bad usage (exit 2)', async () => {
    const r = await cli(['--no-such-option'], {});
    expect(r.code).toBe(ExitCode.USAGE);
  });
});

describe('the root scripts', () => {
  it('`pnpm db --json status` prints one JSON document on stdout, nothing before it', async () => {
    const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('pnpm', ['db', '--json', 'status'], { cwd: ROOT, env: { PATH: process.env.PATH, LIBSQL_URL: 'file:/nonexistent-dir-for-test/x.db' } }, (err, stdout) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(() => JSON.parse(out.stdout)).not.toThrow();
  });

  it('start, replay and db exec node', () => {
    const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'replay', 'db']) expect(scripts[name], name).toMatch(/(^|&& )exec node /);
  });

  it('a SIGTERM to `pnpm db …` reaches the command (no orphan left running)', async () => {
    // A PostgreSQL that accepts connections and never answers: `status` waits on it.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const marker = `sigterm-${process.pid}-${Date.now()}`;
    const child = spawn('pnpm', ['db', 'status'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: `postgres://u@127.0.0.1:${port}/${marker}` },
      stdio: 'ignore',
    });
    const running = () => execFileSync('ps', ['-eo', 'pid,args']).toString().split('\n').filter((l) => l.includes('cli/main.js status') && !l.includes('pnpm'));
    const ours = async () => {
      for (const l of running()) {
        const pid = Number(l.trim().split(' ')[0]);
        try {
          if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)) return pid;
        } catch {
          /* gone */
        }
      }
      return null;
    };
    let pid: number | null = null;
    for (let i = 0; i < 100 && pid === null; i++) (pid = await ours()), await new Promise((r) => setTimeout(r, 50));
    expect(pid, 'the command started').not.toBeNull();
    child.kill('SIGTERM');
    let alive = true;
    for (let i = 0; i < 60 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      alive = existsSync(`/proc/${pid}`);
    }
    silent.close();
    expect(alive, 'the node process behind pnpm is gone').toBe(false);
  });
});
