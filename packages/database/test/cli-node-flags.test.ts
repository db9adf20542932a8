/**
 * The CLI's Node.js flags (cli/node-flags.ts) are the same wherever the CLI starts: `pnpm db`
 * (the root script) and the `db` bin (its `#!/usr/bin/env -S node …` line, run as the kernel runs
 * it). A flag node does not know makes it exit with "bad option", so a typo fails here.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_NODE_FLAGS } from '../src/cli/node-flags.js';
import { ensureFreshDist } from './helpers/fresh-dist.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = fileURLToPath(new URL('../', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

beforeAll(() => ensureFreshDist());

/** Runs `file args` and gives exit code and output; never rejects. */
function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { PATH: process.env.PATH } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the CLI runs with CLI_NODE_FLAGS', () => {
  it('the root `db` script passes them to node', () => {
    const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.db).toBe(`exec node ${CLI_NODE_FLAGS.join(' ')} packages/database/dist/cli/main.js`);
  });

  it('the bin line passes them, and node accepts them (run as the kernel runs a #! line)', async () => {
    const first = readFileSync(`${PKG}dist/cli/main.js`, 'utf8').split('\n')[0]!;
    expect(first).toBe(`#!/usr/bin/env -S node ${CLI_NODE_FLAGS.join(' ')}`);
    // The kernel gives env everything after the interpreter as ONE argument, then the script.
    const [interpreter, rest] = [first.slice(2, first.indexOf(' ')), first.slice(first.indexOf(' ') + 1)];
    const r = await run(interpreter, [rest, 'dist/cli/main.js', '--version'], PKG);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('a flag node does not know fails the start (what the test above would catch)', async () => {
    const r = await run('/usr/bin/env', ['-S node --initial-old-space-sise=128', 'dist/cli/main.js', '--version'], PKG);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad option/);
  });
});
