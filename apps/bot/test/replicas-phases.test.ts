/**
 * Two bot processes on the same databases (Railway replicas, issue 14 §7), driven by the replay
 * at once, through phases 4, 5 and 6+ in turn (as a migration moves): after each phase both are
 * stopped (SIGTERM) and `pnpm db verify` finds 0 drift between LibSQL and PostgreSQL.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCorpus } from '../src/replay/corpus.js';
import { Random } from '../src/replay/random.js';
import { runReplay } from '../src/replay/run.js';
import { testBackends } from './helpers.js';

const APP = fileURLToPath(new URL('..', import.meta.url));
const DB_CLI = fileURLToPath(new URL('../../../packages/database/dist/cli/main.js', import.meta.url));
const PHASES = { '4': { USE_POSTGRES_SHADOW: 'true' }, '5': { USE_POSTGRES_SHADOW: 'true', USE_POSTGRES_READ: 'true' }, '6+': { USE_POSTGRES_PRIMARY: 'true', USE_POSTGRES_SHADOW: 'true' } } as const;

let backends: Awaited<ReturnType<typeof testBackends>>;
const corpus = new Random(21).shuffle([...loadCorpus().entries]);

beforeAll(async () => {
  // The bot's processes run its build: make it current.
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: APP }, (e, _o, err) => (e ? reject(new Error(err || String(e))) : resolve())),
  );
  backends = await testBackends(true);
}, 180_000);
afterAll(async () => {
  await backends?.cleanup();
});

interface BotProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: string[];
}

/** Starts `node dist/main.js serve` with `env` on a free port; resolves once it listens. */
function startProcess(env: Record<string, string>): Promise<BotProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/main.js', 'serve'], { cwd: APP, env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`bot did not listen within 30 s:\n${stdout.join('\n')}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        stdout.push(line);
        try {
          const j = JSON.parse(line) as { event?: string; port?: number };
          if (j.event === 'bot_listening') {
            clearTimeout(timer);
            resolve({ url: `http://127.0.0.1:${j.port}`, child, stdout });
          }
        } catch {
          /* not JSON */
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => stdout.push(d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bot exited with ${code}:\n${stdout.join('\n')}`));
    });
  });
}

/** SIGTERM, then waits for the exit code. */
function stopProcess(p: BotProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null) return resolve(p.child.exitCode);
    p.child.removeAllListeners('exit');
    p.child.on('exit', (code) => resolve(code));
    p.child.kill('SIGTERM');
  });
}

function verify(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [DB_CLI, 'verify', '--recheck-delay-ms', '500'], { env: { PATH: process.env.PATH, ...env }, maxBuffer: 32 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? Number((e as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

it('two replicas in phases 4, 5 and 6+: every request answered, verify finds 0 drift after each phase', async () => {
  let offset = 0;
  for (const [phase, flags] of Object.entries(PHASES)) {
    const env = { LIBSQL_URL: backends.sqlite.url, DATABASE_URL: backends.pg!.url, ...flags };
    const bots = await Promise.all([startProcess(env), startProcess(env)]);
    try {
      // The same users and channels on both replicas, so they write the same profiles and documents.
      const runs = await Promise.all(
        bots.map((b, i) => {
          const entries = corpus.slice(offset + i * 60, offset + (i + 1) * 60);
          return runReplay({ url: b.url, entries, concurrency: 3, users: 6, channels: 2, searchEvery: 10, seed: 100 + i + offset });
        }),
      );
      for (const r of runs) {
        expect(r.phase).toBe(phase);
        expect(r.requests.failed, `phase ${phase}: ${r.errors.join('\n')}`).toBe(0);
      }
    } finally {
      const codes = await Promise.all(bots.map(stopProcess));
      expect(codes, `phase ${phase}: exit codes`).toEqual([0, 0]);
    }
    offset += 120;
    const v = await verify(env);
    expect(v.code, `phase ${phase}: verify\n${v.out}`).toBe(0);
    expect(v.out).toMatch(/0 drift|no drift|OK/i);
  }
});
