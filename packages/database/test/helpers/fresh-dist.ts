import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../../', import.meta.url));

function staleFiles(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(pkg, 'src', dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(pkg, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(join(pkg, 'src', rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  walk('.');
  return stale;
}

/**
 * Warns on stderr when a source is newer than its `dist/` output: the shadow worker thread (and
 * the CLI tests) then run stale code. The rebuild itself happens once in the global setup
 * (`global-setup.ts`), never while test files run.
 */
export function warnIfDistStale(): void {
  const stale = staleFiles();
  if (stale.length) process.stderr.write(`[tests] dist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? '…' : ''}): the shadow worker runs the old code; run the build\n`);
}

/**
 * Rebuilds `dist/` (tsc, under a lock shared with concurrent test runs) when any source is newer
 * than its output. Called by the vitest global setup, before any test file starts.
 */
export function ensureFreshDist(): void {
  if (staleFiles().length === 0) return;
  const lock = join(pkg, 'dist', '.test-build-lock');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`could not take ${lock}; remove it if no build is running`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    const stale = staleFiles();
    if (stale.length === 0) return;
    process.stderr.write(`[tests] dist/ is older than src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? '…' : ''}): rebuilding for the shadow worker\n`);
    try {
      execFileSync(join(pkg, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: pkg, stdio: 'pipe' });
    } catch (e) {
      // tsc still emits on type errors; the worker then runs what was emitted. Say so.
      process.stderr.write(`[tests] tsc reported errors while rebuilding dist/:\n${String((e as { stdout?: Buffer }).stdout ?? e)}\n`);
    }
  } finally {
    rmdirSync(lock);
  }
}
